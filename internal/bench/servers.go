package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/data8-toolkit/data8/client"
)

// buildData8 builds the data8 CLI into dir and returns its path.
func buildData8(dir string) (string, error) {
	path := filepath.Join(dir, "data8")
	out, err := exec.Command("go", "build", "-o", path, "github.com/data8-toolkit/data8/cmd/data8").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building data8: %v\n%s", err, out)
	}
	return path, nil
}

// sandbox is a `data8 serve` child process.
type sandbox struct {
	cmd *exec.Cmd
	env map[string]string // DATA8_BASE_URL, DATA8_TOKEN_URL, DATA8_CLIENT_ID, DATA8_CLIENT_SECRET
}

// startSandbox runs `data8 serve` on a free loopback port, adding latency to every API request.
func startSandbox(data8 string, latency time.Duration) (*sandbox, error) {
	cmd := exec.Command(data8, "serve", "--addr", "127.0.0.1:0", "--latency", latency.String())
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &sandbox{cmd: cmd, env: map[string]string{}}
	sc := bufio.NewScanner(out)
	for len(s.env) < 4 && sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if !ok {
			s.stop()
			return nil, fmt.Errorf("data8 serve printed %q", sc.Text())
		}
		s.env[k] = strings.Trim(v, "'")
	}
	if len(s.env) < 4 {
		s.stop()
		return nil, fmt.Errorf("data8 serve printed only %v", s.env)
	}
	go io.Copy(io.Discard, out)
	return s, nil
}

func (s *sandbox) baseURL() string  { return s.env["DATA8_BASE_URL"] }
func (s *sandbox) tokenURL() string { return s.env["DATA8_TOKEN_URL"] }

// client returns a client of the sandbox with the default settings.
func (s *sandbox) client() (*client.Client, error) {
	return client.New(client.WithBaseURL(s.baseURL()), client.WithTokenURL(s.tokenURL()),
		client.WithCredentials(s.env["DATA8_CLIENT_ID"], s.env["DATA8_CLIENT_SECRET"]))
}

// createDataset creates the input dataset every upload of the benchmark writes to. Every upload
// writes blocks 0, 1, ... again, overwriting the blocks of the one before, so the sandbox's memory
// does not grow with the number of runs.
func (s *sandbox) createDataset(ctx context.Context, name string) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	defer c.Close()
	cols := map[string]int{}
	for _, col := range columns() {
		cols[col] = 0
	}
	_, err = c.CreateDataset(ctx, name, cols)
	return err
}

// command returns a data8 command pointed at the sandbox.
func (s *sandbox) command(data8 string, args ...string) *exec.Cmd {
	return envCommand(s.env, data8, args...)
}

// stop interrupts the sandbox and waits for it.
func (s *sandbox) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}
