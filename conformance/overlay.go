package conformance

import (
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/speakeasy-api/openapi/overlay"

	"github.com/data8-toolkit/data8/internal/specval"
)

// action is one action of the observed overlay: an update merged into, or the removal of, the
// nodes a JSONPath selects in api/openapi.yaml.
type action struct {
	target      string
	description string // what the server did; also noted on the node as x-data8-observed
	update      any    // marshalled to YAML; nil with remove or for a note alone
	remove      bool
}

// key identifies what an action changes, to write each change once, whatever the answers that
// showed it.
func (a action) key() string {
	b, _ := json.Marshal(a.update)
	return fmt.Sprintf("%s\x00%v\x00%s", a.target, a.remove, b)
}

// identRE matches a JSONPath member name that needs no quoting.
var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonPath turns a JSON pointer of api/openapi.yaml ("#/paths/~1Dataset/post") into the JSONPath
// of an overlay action's target ("$.paths['/Dataset'].post").
func jsonPath(pointer string) string {
	var b strings.Builder
	b.WriteString("$")
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "#/"), "/") {
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if identRE.MatchString(seg) {
			b.WriteString("." + seg)
		} else {
			b.WriteString("['" + strings.ReplaceAll(seg, "'", `\'`) + "']")
		}
	}
	return b.String()
}

// observedNote is the extension the overlay adds to every node where the server differed.
const observedNote = "x-data8-observed"

// note returns an action recording text at the node pointer names (as x-data8-observed).
func note(pointer, text string) action {
	return action{target: jsonPath(pointer), description: text}
}

// mediaTypeOf returns the media type of a Content-Type header, without parameters.
func mediaTypeOf(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ""
	}
	return mt
}

// actionsFor returns the overlay actions that make the spec describe what an answer did where it
// broke a decided rule: the status code it used, the media type it sent, the member it left out or
// sent as null, the time it wrote without a zone, the name the pattern refused.
func (s *suite) actionsFor(e specval.Exchange, f specval.Finding) []action {
	text := fmt.Sprintf("%s answered %d (%s): %s", e.Op, e.Status, e.Shape, f.Message)
	op := s.spec.Operation(e.Op)
	mt := mediaTypeOf(e.ContentType)
	jsonBody := strings.HasPrefix(e.Shape, "object") || strings.HasPrefix(e.Shape, "array")
	switch f.Kind {
	case specval.KindStatus:
		if op == nil {
			return nil
		}
		resp := map[string]any{"description": fmt.Sprintf("Observed: %s answered %d with %s.", op.ID, e.Status, e.Shape)}
		switch {
		case e.Status < 300 && e.BodyLen > 0 && jsonBody:
			if ref := op.SuccessResponse(); ref != nil {
				resp = ref
			}
		case e.Status >= 400 && mt != "" && strings.HasPrefix(e.Shape, "object"):
			resp["content"] = map[string]any{mt: map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ProblemDetails"}}}
		}
		return []action{{target: jsonPath(f.Pointer), description: text, update: map[string]any{strconv.Itoa(e.Status): resp}}}
	case specval.KindContentType:
		respPtr := strings.TrimSuffix(f.Pointer, "/content")
		media := map[string]any{}
		if jsonBody && op != nil {
			if schema := op.ResponseSchema(e.Status); schema != nil {
				media["schema"] = schema
			}
		}
		key := mt
		if key == "" {
			key = "*/*" // no Content-Type: an empty body
		}
		return []action{{target: jsonPath(respPtr), description: text, update: map[string]any{"content": map[string]any{key: media}}}}
	case specval.KindBody:
		if f.Keyword == "" || f.Pointer == "" {
			if f.Pointer == "" {
				return nil
			}
			return []action{note(strings.TrimSuffix(f.Pointer, "/content"), text)}
		}
		acts := []action{note(f.Pointer, text)}
		keyword := f.Keyword
		if f.ValueKind == "null" && (keyword == "allOf" || keyword == "anyOf" || keyword == "oneOf") {
			keyword = "nullable" // a null refused by a schema that wraps another: the member was sent as null
		}
		switch keyword {
		case "format", "maxItems", "maxLength", "minimum", "maximum", "minLength", "minItems":
			acts = append(acts, action{target: jsonPath(f.Pointer) + "." + f.Keyword, description: text, remove: true})
		case "pattern":
			if f.Point == "D-13" {
				acts = append(acts, action{target: jsonPath(f.Pointer), description: text, update: map[string]any{"pattern": `^[^/:*?"<>|]+$`}})
			} else {
				acts = append(acts, action{target: jsonPath(f.Pointer) + ".pattern", description: text, remove: true})
			}
		case "nullable":
			acts = append(acts, action{target: jsonPath(f.Pointer), description: text, update: map[string]any{"nullable": true}})
		case "required":
			member := f.ValuePath[strings.LastIndex(f.ValuePath, "/")+1:]
			if identRE.MatchString(member) {
				acts = append(acts, action{target: jsonPath(f.Pointer) + ".required[?(@ == '" + member + "')]", description: text, remove: true})
			}
		}
		return acts
	case specval.KindHeader:
		if f.Pointer != "" {
			return []action{note(strings.TrimSuffix(f.Pointer, "/headers"), text)}
		}
	}
	return nil
}

// Overlay returns the run's observed overlay: an OpenAPI Overlay 1.0.0 document whose actions
// change api/openapi.yaml where this server differed from a decided point, each action described
// by the answer that showed it. Its first action records the run on the spec's info. Apply it with
// `make generate OVERLAY=observed.overlay.yaml` (oapi-codegen's output-options.overlay).
func (r *Report) Overlay() ([]byte, error) {
	o := overlay.Overlay{
		Version: overlay.Version100,
		Info: overlay.Info{
			Title:   "What " + r.Target + " did where the Data8 documentation is silent",
			Version: r.Started.UTC().Format("2006-01-02T15:04:05Z") + " run " + r.RunID,
		},
	}
	acts := append([]action{{
		target:      "$.info",
		description: "The conformance run this overlay comes from.",
		update: map[string]any{"x-data8-observed-by": fmt.Sprintf("conformance run %s against %s, %s: %d cases, %d answers differed from a decided point",
			r.RunID, r.Target, r.Started.UTC().Format("2006-01-02T15:04:05Z"), len(r.Cases), r.Differing)},
	}}, r.overlay...)
	// One action per change, whatever the answers that showed it; each change's node notes (as
	// x-data8-observed) up to three of those answers, and how many there were.
	type group struct {
		act   action
		notes []string
		n     int
	}
	var order []string
	groups := map[string]*group{}
	noted := map[string][]string{} // target → notes, for the nodes' x-data8-observed
	for _, a := range acts {
		if a.update == nil && !a.remove && a.target != "$.info" {
			if n := noted[a.target]; !slices.Contains(n, a.description) {
				noted[a.target] = append(n, a.description)
			}
			continue
		}
		g := groups[a.key()]
		if g == nil {
			g = &group{act: a}
			groups[a.key()] = g
			order = append(order, a.key())
		}
		g.n++
		if !slices.Contains(g.notes, a.description) && len(g.notes) < 3 {
			g.notes = append(g.notes, a.description)
		}
	}
	for _, target := range slices.Sorted(maps.Keys(noted)) {
		notes := noted[target]
		list := notes[:min(3, len(notes))]
		if len(notes) > 3 {
			list = append(slices.Clone(list), fmt.Sprintf("and %d more", len(notes)-3))
		}
		g := &group{act: action{target: target, description: notes[0], update: map[string]any{observedNote: list}}, n: 1}
		groups["note\x00"+target] = g
		order = append(order, "note\x00"+target)
	}
	for _, k := range order {
		g := groups[k]
		desc := g.act.description
		if len(g.notes) > 0 {
			desc = strings.Join(g.notes, "; ")
		}
		if g.n > len(g.notes) && len(g.notes) > 0 {
			desc += fmt.Sprintf(" (and %d more answers)", g.n-len(g.notes))
		}
		oa := overlay.Action{Target: g.act.target, Description: desc, Remove: g.act.remove}
		if !g.act.remove {
			if err := oa.Update.Encode(g.act.update); err != nil {
				return nil, fmt.Errorf("conformance: encoding an overlay action: %w", err)
			}
		}
		o.Actions = append(o.Actions, oa)
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("conformance: the observed overlay is not valid: %w", err)
	}
	out, err := o.ToString()
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}
