// Package api holds api/openapi.yaml, the OpenAPI 3.0 description of Data8's Administration & Batch Data
// Cleansing API that everything else in this module is generated from or tested against. Its tests check the
// document itself: that it is valid, that it names every operation of the contract with its method and path,
// that every error response is problem+json, that every inferred point says what it assumes, and that every
// example survives a round trip through the generated types.
package api
