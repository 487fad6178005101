package protofile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A TextError is a problem at a place in a text file. Line and Col count from 1;
// Col counts characters (UTF-8 sequences), as editors do.
type TextError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *TextError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ReadNetText reads a net prototxt and upgrades it to the current format, as Caffe's
// ReadNetParamsFromTextFileOrDie does.
func ReadNetText(path string) (*caffepb.NetParameter, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseNetText(path, data)
}

// ParseNetText parses and upgrades a net prototxt held in data; name is the file name
// used in errors and log messages. Fields the upgrade has no place for are logged and
// dropped, as Caffe drops them; only what stops Caffe is an error.
func ParseNetText(name string, data []byte) (*caffepb.NetParameter, error) {
	p := &caffepb.NetParameter{}
	if err := UnmarshalText(name, data, p); err != nil {
		return nil, err
	}
	// Like Caffe, go on with a net some of whose fields could not be upgraded: the
	// upgrade has logged them.
	if _, err := UpgradeNet(p, name); err != nil && !errors.Is(err, ErrPartialUpgrade) {
		return nil, err
	}
	return p, nil
}

// ReadSolverText reads a solver prototxt, upgrades it as Caffe's
// ReadSolverParamsFromTextFileOrDie does and fills in the snapshot prefix from the
// solver's own path (see UpgradeSnapshotPrefix).
func ReadSolverText(path string) (*caffepb.SolverParameter, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := ParseSolverText(path, data)
	if err != nil {
		return nil, err
	}
	UpgradeSnapshotPrefix(p, path)
	return p, nil
}

// ParseSolverText parses and upgrades a solver prototxt held in data; name is the file
// name used in errors and log messages. The snapshot prefix is left as it is: it
// depends on the file's path, which ReadSolverText knows.
func ParseSolverText(name string, data []byte) (*caffepb.SolverParameter, error) {
	p := &caffepb.SolverParameter{}
	if err := UnmarshalText(name, data, p); err != nil {
		return nil, err
	}
	if _, err := UpgradeSolver(p, name); err != nil {
		return nil, err
	}
	return p, nil
}

// ReadText reads a text-format file into m without upgrading it.
func ReadText(path string, m proto.Message) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return UnmarshalText(path, data, m)
}

// UnmarshalText parses data, the text format of m's message type, into m, the way C++
// TextFormat (and so Caffe) reads it. name is the file name used in errors, which
// are *TextError values giving the line and column.
func UnmarshalText(name string, data []byte, m proto.Message) error {
	clean, shifts := sanitize(data)
	err := prototext.UnmarshalOptions{}.Unmarshal(clean, m)
	if err != nil {
		proto.Reset(m) // what the parser filled in before it failed
		return describeTextError(name, data, clean, shifts, m, err)
	}
	// Go's parser takes any number for an enum; C++ takes only the numbers of its
	// values. The scanner finds where such a number is.
	if hasUndefinedEnum(m.ProtoReflect()) {
		if p := newScanner(data, m.ProtoReflect().Descriptor()).run(-1); p != nil {
			proto.Reset(m)
			line, col := position(data, p.off)
			return &TextError{File: name, Line: line, Col: col, Msg: p.msg}
		}
	}
	return nil
}

// hasUndefinedEnum reports whether an enum field of m, or of a message in it, holds a
// number that names no value of its enum.
func hasUndefinedEnum(m protoreflect.Message) bool {
	found := false
	defined := func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		return fd.Enum().Values().ByNumber(v.Enum()) != nil
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Kind() == protoreflect.EnumKind:
			for i := 0; i < v.List().Len() && !found; i++ {
				found = !defined(fd, v.List().Get(i))
			}
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len() && !found; i++ {
				found = hasUndefinedEnum(v.List().Get(i).Message())
			}
		case fd.Kind() == protoreflect.EnumKind:
			found = !defined(fd, v)
		case fd.Message() != nil && !fd.IsMap():
			found = hasUndefinedEnum(v.Message())
		}
		return !found
	})
	return found
}

// sanitize makes the input acceptable to Go's prototext where C++ TextFormat accepts
// it as it is: it drops a UTF-8 byte-order mark, turns the vertical tab and form feed
// that C++ counts as white space into spaces, and writes bytes that are not UTF-8
// inside string literals (paths in a legacy code page, say) as octal escapes, which
// give back the same bytes. shifts maps offsets in the result back to the input.
func sanitize(data []byte) ([]byte, []shift) {
	var shifts []shift
	start := 0
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		start = 3
		shifts = append(shifts, shift{0, 3})
	}
	if !needsSanitizing(data[start:]) {
		return data[start:], shifts
	}
	out := make([]byte, 0, len(data)+16)
	var quote byte // the open string's quote character, 0 outside strings
	for i := start; i < len(data); i++ {
		c := data[i]
		switch {
		case quote == 0 && c == '#':
			j := bytes.IndexByte(data[i:], '\n')
			if j < 0 {
				j = len(data) - i
			}
			out = append(out, data[i:i+j]...)
			i += j - 1
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
			out = append(out, c)
		case quote == 0 && (c == '\v' || c == '\f'):
			out = append(out, ' ')
		case quote != 0 && c == '\\' && i+1 < len(data) && data[i+1] != '\n':
			out = append(out, c, data[i+1])
			i++
		case quote != 0 && (c == quote || c == '\n'):
			quote = 0
			out = append(out, c)
		case quote != 0 && c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				out = append(out, '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
				shifts = append(shifts, shift{len(out), i + 1})
			} else {
				out = append(out, data[i:i+n]...)
				i += n - 1
			}
		default:
			out = append(out, c)
		}
	}
	return out, shifts
}

// needsSanitizing reports whether data has a byte sanitize would change.
func needsSanitizing(data []byte) bool {
	return bytes.ContainsAny(data, "\v\f") || !utf8.Valid(data)
}

// A shift says that offset clean in the sanitized text is offset orig in the input,
// and so on up to the next shift.
type shift struct{ clean, orig int }

// origOffset maps an offset of the sanitized text back to the input.
func origOffset(shifts []shift, off int) int {
	d := 0
	for _, s := range shifts {
		if s.clean > off {
			break
		}
		d = s.orig - s.clean
	}
	return off + d
}

// position returns the line and column of byte offset off in src, counting from 1.
// Columns count UTF-8 sequences; a byte that is not UTF-8 counts as one.
func position(src []byte, off int) (line, col int) {
	if off > len(src) {
		off = len(src)
	}
	b := src[:off]
	line = bytes.Count(b, []byte("\n")) + 1
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return line, utf8.RuneCount(b) + 1
}

// offsetOf is the inverse of position: the byte offset of line:col in src.
func offsetOf(src []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(src) && src[off] != '\n'; c++ {
		_, n := utf8.DecodeRune(src[off:])
		off += n
	}
	return off
}

// goErrorPos matches the place in an error of Go's prototext, "(line 3:7): ", and
// the message after it; goUnknownField its message for an unknown field.
var (
	goErrorPos     = regexp.MustCompile(`\(line (\d+):(\d+)\): (.*)$`)
	goUnknownField = regexp.MustCompile(`^unknown field: (.*)$`)
)

// describeTextError turns an error of Go's prototext into a TextError. Go's messages
// say little of the context and, for some errors, nothing of the place, so the input
// is walked again by a scanner that knows the schema (textscan.go). Go's parser is
// the judge of what is valid: the scanner's finding is used only where it does not
// lie before the place Go's parser failed at.
func describeTextError(name string, src, clean []byte, shifts []shift, m proto.Message, goErr error) error {
	md := m.ProtoReflect().Descriptor()
	goOff, goMsg := -1, goErr.Error()
	if sm := goErrorPos.FindStringSubmatch(goErr.Error()); sm != nil {
		line, _ := strconv.Atoi(sm[1])
		col, _ := strconv.Atoi(sm[2])
		goOff = origOffset(shifts, offsetOf(clean, line, col))
		goMsg = sm[3]
	}
	sc := newScanner(src, md)
	if p := sc.run(-1); p != nil && (goOff < 0 || p.off >= goOff) {
		line, col := position(src, p.off)
		return &TextError{File: name, Line: line, Col: col, Msg: p.msg}
	}
	if goOff < 0 {
		line, col := position(src, len(src))
		return &TextError{File: name, Line: line, Col: col, Msg: "unexpected end of file"}
	}
	// The scanner found nothing wrong before Go's parser did: say what Go said,
	// naming the message being read there.
	sc = newScanner(src, md)
	sc.run(goOff)
	if sub := goUnknownField.FindStringSubmatch(goMsg); sub != nil {
		goMsg = fmt.Sprintf("unknown field %q in %s", sub[1], sc.current().md.Name())
	}
	line, col := position(src, goOff)
	return &TextError{File: name, Line: line, Col: col, Msg: goMsg}
}
