// Package gen holds the code that oapi-codegen generates from api/openapi.yaml: the models, an HTTP
// client and a net/http strict server interface, all sharing the same types. Do not edit the *.gen.go
// files; change the spec and run make generate.
//
// Users should import package client instead; gen is the layer underneath it.
package gen

//go:generate go tool oapi-codegen -config models.cfg.yaml ../api/openapi.yaml
//go:generate go tool oapi-codegen -config client.cfg.yaml ../api/openapi.yaml
//go:generate go tool oapi-codegen -config server.cfg.yaml ../api/openapi.yaml
