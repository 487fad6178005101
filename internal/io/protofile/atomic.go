package protofile

import "github.com/gocaffe/gocaffe/internal/io/staging"

// writeFileAtomic writes data to path through a staged file in the same folder,
// synced and renamed over path, so that path holds either its old content or all of
// data, never part of it (see internal/io/staging). A new file gets mode 0644; an
// existing one keeps its mode.
func writeFileAtomic(path string, data []byte) error {
	return staging.WriteFile(path, data)
}
