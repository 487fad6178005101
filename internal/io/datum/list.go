package datum

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ListEntry is one line of an image list: a file name and its label.
type ListEntry struct {
	Path  string
	Label int32
	Line  int // line number in the list file, from 1
}

// ReadImageList reads an image list as Caffe's convert_imageset and ImageData layer
// do: one "path label" per line, split at the last space, so paths may hold spaces.
// Blank lines are skipped and trailing blanks (a carriage return) dropped. A line without a
// space or whose label is not an integer is an error naming the file and line.
func ReadImageList(path string) ([]ListEntry, error) {
	var out []ListEntry
	err := EachLine(path, func(n int, line string) error {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return fmt.Errorf("%s:%d: %q has no label: want \"path label\"", path, n, line)
		}
		label, err := strconv.ParseInt(strings.TrimSpace(line[i+1:]), 10, 32)
		if err != nil {
			return fmt.Errorf("%s:%d: label %q is not an integer: want \"path label\"", path, n, line[i+1:])
		}
		out = append(out, ListEntry{Path: line[:i], Label: int32(label), Line: n})
		return nil
	})
	return out, err
}

// EachLine calls f with every line of the text file at path that is not blank, with
// its trailing blanks (a carriage return) dropped, and its line number from 1; it
// stops at f's first error and returns it. Lines may be up to 1 MiB long.
func EachLine(path string, f func(n int, line string) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimRight(s.Text(), " \t\r")
		if line == "" {
			continue
		}
		if err := f(n, line); err != nil {
			return err
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
