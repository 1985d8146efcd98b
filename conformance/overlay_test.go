package conformance_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/speakeasy-api/openapi/overlay/loader"
	"gopkg.in/yaml.v3"
)

// specPath is api/openapi.yaml, from this package's directory.
const specPath = "../api/openapi.yaml"

// overlaid applies the overlay file to api/openapi.yaml the way oapi-codegen's
// output-options.overlay does (kin-openapi loads the spec, the speakeasy overlay library applies the
// overlay strictly to its YAML) and returns the resulting document.
func overlaid(overlayPath string) ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(specPath)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	var node yaml.Node
	if err := yaml.NewDecoder(&buf).Decode(&node); err != nil {
		return nil, err
	}
	o, err := loader.LoadOverlay(overlayPath)
	if err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("the overlay is not valid: %w", err)
	}
	if warnings, err := o.ApplyToStrict(&node); err != nil {
		return nil, fmt.Errorf("applying the overlay: %w\n%s", err, strings.Join(warnings, "\n"))
	}
	return yaml.Marshal(&node)
}

// generateWith generates gen's code from api/openapi.yaml with the overlay applied, through
// oapi-codegen's output-options.overlay, into a temporary directory, and builds and vets it in
// place of gen/ (go build -overlay), without touching the tree.
func generateWith(t *testing.T, ovPath string) {
	if testing.Short() {
		t.Log("-short: not generating code from the overlaid spec")
		return
	}
	out := t.TempDir()
	gen := exec.Command("go", "run", "./conformance/internal/overlaygen", "-overlay", ovPath, "-out", out)
	gen.Dir = ".."
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("generating from the overlaid spec: %v\n%s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.go"))
	if len(files) == 0 {
		t.Fatal("nothing was generated")
	}
	replace := map[string]string{}
	for _, f := range files {
		abs, _ := filepath.Abs(filepath.Join("..", "gen", filepath.Base(f)))
		replace[abs] = f
	}
	js, _ := json.Marshal(map[string]any{"Replace": replace})
	ovJSON := filepath.Join(out, "build-overlay.json")
	if err := os.WriteFile(ovJSON, js, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"build", "-overlay", ovJSON, "./gen/"}, {"vet", "-overlay", ovJSON, "./gen/"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	// The overlay reached the generated code: the spec embedded in server.gen.go differs from the
	// one generated from the base spec (it carries the x-data8-observed notes, at least).
	got, _ := os.ReadFile(filepath.Join(out, "server.gen.go"))
	base, _ := os.ReadFile(filepath.Join("..", "gen", "server.gen.go"))
	if len(got) == 0 || bytes.Equal(got, base) {
		t.Errorf("the code generated with the overlay is the code of the base spec")
	}
}
