package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/data8-toolkit/data8/internal/termsafe"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		w = u.Unwrap()
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress shows how far a long step has got, on standard error: a progress bar when standard error is a
// terminal, else a plain line at most every plainEvery and one at the end. It is safe for concurrent use.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	unit  string
	total int64
	bar   *progressbar.ProgressBar
	last  time.Time
	cur   int64
	note  string
	done  bool
	// quietEnd leaves out the final plain line unless a periodic one was printed (for quick steps).
	quietEnd bool
	printed  bool
}

// plainEvery is how often a plain progress line is printed.
const plainEvery = 2 * time.Second

// newProgress starts showing progress of label towards total units (total < 0: unknown).
func (a *app) newProgress(label string, total int64, unit string) *progress {
	label = termsafe.String(label)
	p := &progress{w: a.stderr, label: label, unit: unit, total: total, last: time.Now()}
	if a.hooks.terminal || isTerminal(a.stderr) {
		max := total
		if max <= 0 {
			max = -1 // a spinner
		}
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription(label),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(a.stderr) }),
		}
		if unit == "bytes" {
			opts = append(opts, progressbar.OptionShowBytes(true))
		} else if unit != "%" {
			opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetItsString(unit), progressbar.OptionShowIts())
		}
		p.bar = progressbar.NewOptions64(max, opts...)
	}
	return p
}

// Set records that n units are done; note (may be empty) is shown beside the figures until a later
// Set changes it. n is kept within 0 and the total, whatever a server made of it.
func (p *progress) Set(n int64, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n = max(n, 0)
	if p.total > 0 {
		n = min(n, p.total)
	}
	if p.done {
		return
	}
	changed := note != p.note
	p.cur, p.note = n, note
	if p.bar != nil {
		if changed {
			p.bar.Describe(strings.TrimSpace(p.label + " " + note))
		}
		p.bar.Set64(n)
		return
	}
	if time.Since(p.last) >= plainEvery {
		p.last = time.Now()
		p.printed = true
		p.printLine()
	}
}

// SetTotal sets the total once it is known (the bar keeps the total it was drawn with).
func (p *progress) SetTotal(total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total <= 0 && total > 0 {
		p.total = total
		if p.bar != nil {
			p.bar.ChangeMax64(total)
		}
	}
}

func (p *progress) printLine() {
	line := fmt.Sprintf("%s: %d %s", p.label, p.cur, p.unit)
	if p.unit == "%" {
		line = fmt.Sprintf("%s: %d%%", p.label, p.cur)
	} else if p.total > 0 {
		line = fmt.Sprintf("%s: %d/%d %s (%d%%)", p.label, p.cur, p.total, p.unit, p.cur*100/p.total)
	}
	if p.note != "" {
		line += " " + p.note
	}
	fmt.Fprintln(p.w, line)
}

// Finish ends the display; ok false leaves a failed bar in place.
func (p *progress) Finish(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.bar != nil {
		if ok {
			p.bar.Finish()
		} else {
			p.bar.Exit()
			fmt.Fprintln(p.w)
		}
		return
	}
	if ok && (!p.quietEnd || p.printed) {
		p.printLine()
	}
}
