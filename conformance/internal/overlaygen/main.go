// Command overlaygen regenerates the code of package gen from api/openapi.yaml with an OpenAPI
// Overlay applied, through oapi-codegen's own output-options.overlay: for each of gen's
// oapi-codegen configurations (gen/*.cfg.yaml) it writes a copy naming the overlay, and runs the
// pinned oapi-codegen (`go tool oapi-codegen`) with it. `make generate OVERLAY=path` runs it.
//
//	go run ./conformance/internal/overlaygen -overlay observed.overlay.yaml [-out dir]
//
// With -out the generated files go to dir instead of gen/ (for a test that builds them aside).
// Run it from the module's root.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

func main() {
	overlay := flag.String("overlay", "", "the OpenAPI Overlay to apply (required)")
	spec := flag.String("spec", "api/openapi.yaml", "the OpenAPI document")
	genDir := flag.String("gen", "gen", "the directory of the oapi-codegen configurations (*.cfg.yaml)")
	out := flag.String("out", "", "write the generated files here instead of next to the configurations")
	flag.Parse()
	if err := run(*overlay, *spec, *genDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "overlaygen:", err)
		os.Exit(1)
	}
}

func run(overlay, spec, genDir, out string) error {
	if overlay == "" {
		return fmt.Errorf("-overlay is required")
	}
	abs := func(p string) (string, error) { return filepath.Abs(p) }
	var err error
	if overlay, err = abs(overlay); err != nil {
		return err
	}
	if spec, err = abs(spec); err != nil {
		return err
	}
	if genDir, err = abs(genDir); err != nil {
		return err
	}
	if out != "" {
		if out, err = abs(out); err != nil {
			return err
		}
	}
	cfgs, err := filepath.Glob(filepath.Join(genDir, "*.cfg.yaml"))
	if err != nil || len(cfgs) == 0 {
		return fmt.Errorf("no oapi-codegen configuration in %s", genDir)
	}
	tmp, err := os.MkdirTemp("", "overlaygen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, cfg := range cfgs {
		path, err := withOverlay(cfg, overlay, out, tmp)
		if err != nil {
			return err
		}
		cmd := exec.Command("go", "tool", "oapi-codegen", "-config", path, spec)
		cmd.Dir = genDir // the configurations name their output relative to gen/, as go generate runs them
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("oapi-codegen -config %s: %w", filepath.Base(cfg), err)
		}
	}
	return nil
}

// withOverlay writes a copy of the configuration cfg into dir with output-options.overlay.path set
// to overlay (and the output moved to out, when set), and returns its path.
func withOverlay(cfg, overlay, out, dir string) (string, error) {
	data, err := os.ReadFile(cfg)
	if err != nil {
		return "", err
	}
	var c map[string]any
	if err := yaml.Unmarshal(data, &c); err != nil {
		return "", fmt.Errorf("%s: %w", cfg, err)
	}
	opts, _ := c["output-options"].(map[string]any)
	if opts == nil {
		opts = map[string]any{}
	}
	opts["overlay"] = map[string]any{"path": overlay}
	c["output-options"] = opts
	if o, ok := c["output"].(string); ok && out != "" {
		c["output"] = filepath.Join(out, filepath.Base(o))
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, filepath.Base(cfg))
	return path, os.WriteFile(path, b, 0o600)
}
