package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// widenCover adds to the coverage profile at path (as go test -coverprofile writes it, for the module
// rooted at root) a covered block for each expression of a switch's case list that the tests evaluated.
// Go's coverage counts no block there, so without this gremlins takes every mutant of a case list for
// one no test reaches, and never tests it. A case list is evaluated when its clause's body ran, when the
// body of a later case ran (the earlier cases were tried first and did not match), or when the default
// body ran (every case was tried).
func widenCover(path, root string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	module, err := modulePath(root)
	if err != nil {
		return err
	}
	covered := map[string][][2]token.Position{} // file name in the profile → covered blocks (start, end)
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		name, from, to, count, ok := parseBlock(sc.Text())
		if !ok || count == 0 {
			continue
		}
		if _, seen := covered[name]; !seen {
			names = append(names, name)
		}
		covered[name] = append(covered[name], [2]token.Position{from, to})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	var extra strings.Builder
	for _, name := range names {
		rel, ok := strings.CutPrefix(name, module+"/")
		if !ok {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			continue
		}
		for _, e := range evaluatedCaseLists(src, covered[name]) {
			fmt.Fprintf(&extra, "%s:%d.%d,%d.%d 1 1\n", name, e[0].Line, e[0].Column, e[1].Line, e[1].Column)
		}
	}
	if extra.Len() == 0 {
		return nil
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data, '\n')
	}
	return os.WriteFile(path, append(data, extra.String()...), 0o666)
}

// parseBlock reads one line of a coverage profile: "name:l1.c1,l2.c2 statements count".
func parseBlock(line string) (name string, from, to token.Position, count int, ok bool) {
	i := strings.LastIndexByte(line, ':')
	if i < 0 {
		return "", from, to, 0, false
	}
	name = line[:i]
	var stmts int
	n, err := fmt.Sscanf(line[i+1:], "%d.%d,%d.%d %d %d", &from.Line, &from.Column, &to.Line, &to.Column, &stmts, &count)
	return name, from, to, count, err == nil && n == 6
}

// modulePath reads the module path from root/go.mod.
func modulePath(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			if p, err := strconv.Unquote(strings.TrimSpace(rest)); err == nil {
				return p, nil
			}
			return strings.TrimSpace(rest), nil
		}
	}
	return "", fmt.Errorf("%s/go.mod names no module", root)
}

// evaluatedCaseLists returns the span (start, end) of every case-list expression of src's switch
// statements that the covered blocks show was evaluated.
func evaluatedCaseLists(src []byte, blocks [][2]token.Position) [][2]token.Position {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil
	}
	before := func(a, b token.Position) bool { return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column) }
	ran := func(cc *ast.CaseClause) bool {
		from, to := fset.Position(cc.Colon), fset.Position(cc.End())
		for _, b := range blocks {
			if !before(b[0], from) && !before(to, b[0]) {
				return true
			}
		}
		return false
	}
	var out [][2]token.Position
	ast.Inspect(f, func(n ast.Node) bool {
		sw, ok := n.(*ast.SwitchStmt)
		if !ok {
			return true
		}
		var cases []*ast.CaseClause
		defaultRan := false
		for _, st := range sw.Body.List {
			cc := st.(*ast.CaseClause)
			if cc.List == nil {
				defaultRan = ran(cc)
				continue
			}
			cases = append(cases, cc)
		}
		evaluated := defaultRan
		for i := len(cases) - 1; i >= 0; i-- {
			evaluated = evaluated || ran(cases[i])
			if !evaluated {
				continue
			}
			for _, e := range cases[i].List {
				out = append(out, [2]token.Position{fset.Position(e.Pos()), fset.Position(e.End())})
			}
		}
		return true
	})
	return out
}
