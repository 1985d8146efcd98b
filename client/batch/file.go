package batch

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// atomicFile is a result file written under a temporary name in the same directory and renamed
// into place on commit, so a failed or interrupted download never leaves a partial file under the
// final name. The temporary file is created with mode 0666, which the kernel reduces by the
// user's umask; when the final name already exists, commit gives the new file no permission the
// existing one lacks.
type atomicFile struct {
	*os.File
	final string
}

func createAtomic(path string) (*atomicFile, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("cannot write %s: it is a directory", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 100 {
		var rnd [6]byte
		rand.Read(rnd[:])
		name := filepath.Join(dir, "."+base+"."+hex.EncodeToString(rnd[:])+".part")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot write %s: %v", path, unwrapPathError(err))
		}
		return &atomicFile{File: f, final: path}, nil
	}
	return nil, fmt.Errorf("cannot write %s: no free temporary name in %s", path, dir)
}

// commit syncs and closes the file and renames it to its final name.
func (f *atomicFile) commit() error {
	if err := f.File.Sync(); err != nil {
		f.abort()
		return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
	}
	if old, err := os.Stat(f.final); err == nil && old.Mode().IsRegular() {
		if cur, err := f.File.Stat(); err == nil && cur.Mode().Perm()&^old.Mode().Perm() != 0 {
			if err := f.File.Chmod(cur.Mode().Perm() & old.Mode().Perm()); err != nil {
				f.abort()
				return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
			}
		}
	}
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
	}
	if err := os.Rename(f.Name(), f.final); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %v", f.final, unwrapPathError(err))
	}
	return nil
}

// abort closes and removes the temporary file.
func (f *atomicFile) abort() {
	f.File.Close()
	os.Remove(f.Name())
}

// reset empties the file for a fresh start.
func (f *atomicFile) reset() error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// CheckWritable makes sure a result file can be written at path (its directory exists and takes a
// new file; path is not a directory), by creating and removing a temporary file beside it: call it
// before work that would be wasted.
func CheckWritable(path string) error {
	f, err := createAtomic(path)
	if err != nil {
		return err
	}
	f.abort()
	return nil
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
