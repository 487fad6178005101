package protofile

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// A scanner walks a text-format message the way the parser reads it, knowing the
// schema, to find the first problem in it and say it in a user's words: what was
// expected, what was found, in which message. It is run only on input the parser
// has rejected, so it is written for clear messages rather than speed.
type scanner struct {
	src   []byte
	pos   int
	limit int // run stops at the first field that starts at or after limit (-1: none)
	stack []*frame
}

// A frame is a message being read: the top-level one or a field's value.
type frame struct {
	md    protoreflect.MessageDescriptor
	field string // the field holding this message ("" at the top)
	open  int    // offset of the opening brace
	close byte   // the closing brace expected; 0 at the top
	seen  map[protoreflect.FieldNumber]int
}

// A problem is what the scanner found wrong, at byte offset off.
type problem struct {
	off int
	msg string
}

func newScanner(src []byte, md protoreflect.MessageDescriptor) *scanner {
	return &scanner{src: src, limit: -1, stack: []*frame{{md: md, seen: map[protoreflect.FieldNumber]int{}}}}
}

// current is the innermost message being read.
func (s *scanner) current() *frame { return s.stack[len(s.stack)-1] }

func (s *scanner) fail(off int, format string, args ...any) *problem {
	return &problem{off: off, msg: fmt.Sprintf(format, args...)}
}

// at returns where line:col of offset off is, for messages that point elsewhere.
func (s *scanner) at(off int) string {
	l, c := position(s.src, off)
	return fmt.Sprintf("%d:%d", l, c)
}

// run scans from the start and returns the first problem, or nil. With limit >= 0
// it stops at the first field name at or after limit, leaving the stack as it is
// there.
func (s *scanner) run(limit int) *problem {
	s.limit = limit
	if bytes.HasPrefix(s.src, []byte("\xef\xbb\xbf")) {
		s.pos = 3 // a byte-order mark, as some Windows editors write
	}
	p := s.fields()
	if p != nil && limit >= 0 {
		return nil
	}
	return p
}

// errStopped ends a run that reached its limit.
var errStopped = &problem{off: -1, msg: "stopped"}

// skip passes over white space and # comments.
func (s *scanner) skip() {
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			s.pos++
		case '#':
			for s.pos < len(s.src) && s.src[s.pos] != '\n' {
				s.pos++
			}
		default:
			return
		}
	}
}

func (s *scanner) eof() bool { return s.pos >= len(s.src) }

// found describes the text at the current position for "found ..." messages.
func (s *scanner) found() string {
	if s.eof() {
		return "the end of the file"
	}
	if w := s.word(); w != "" {
		return strconv.Quote(w)
	}
	r := []rune(string(s.src[s.pos:min(s.pos+4, len(s.src))]))
	return strconv.QuoteRune(r[0])
}

// word returns the identifier or number at the current position without moving:
// letters, digits, '_' and '.', with a sign after the exponent mark of a number.
func (s *scanner) word() string {
	b := s.src[s.pos:]
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	start := i
	number := i < len(b) && (isDigit(b[i]) || b[i] == '.')
	hex := number && len(b) > i+1 && b[i] == '0' && (b[i+1] == 'x' || b[i+1] == 'X')
	for i < len(b) {
		c := b[i]
		switch {
		case isIdentStart(c) || isDigit(c) || c == '.':
		case (c == '+' || c == '-') && number && !hex && (b[i-1] == 'e' || b[i-1] == 'E'):
		default:
			return string(b[:i])
		}
		i++
	}
	if i == start {
		return ""
	}
	return string(b[:i])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// fields reads the fields of the current message up to its closing brace.
func (s *scanner) fields() *problem {
	fr := s.current()
	for {
		s.skip()
		if s.eof() {
			if fr.close != 0 {
				return s.fail(fr.open, "%q of %q is never closed: %q is missing before the end of the file",
					string(openOf(fr.close)), fr.field, string(fr.close))
			}
			return nil
		}
		if s.limit >= 0 && s.pos >= s.limit {
			return errStopped
		}
		c := s.src[s.pos]
		if fr.close != 0 && c == fr.close {
			s.pos++
			return nil
		}
		switch {
		case c == '}' || c == '>':
			if fr.close == 0 {
				return s.fail(s.pos, "unexpected %q: there is no %q open to close", string(c), string(openOf(c)))
			}
			return s.fail(s.pos, "expected %q to close %q opened at %s, found %q",
				string(fr.close), fr.field, s.at(fr.open), string(c))
		case c == '[':
			return s.fail(s.pos, "expected a field name, found \"[\" (extension and Any names are not used by caffe.proto)")
		case !isIdentStart(c):
			return s.fail(s.pos, "expected a field name, found %s", s.found())
		}
		if p := s.field(fr); p != nil {
			return p
		}
		s.skip()
		if !s.eof() && (s.src[s.pos] == ',' || s.src[s.pos] == ';') {
			s.pos++
		}
	}
}

// openOf is the opening brace of a closing one.
func openOf(closer byte) byte {
	if closer == '>' {
		return '<'
	}
	return '{'
}

// field reads one "name: value" of message fr.
func (s *scanner) field(fr *frame) *problem {
	start := s.pos
	for s.pos < len(s.src) && (isIdentStart(s.src[s.pos]) || '0' <= s.src[s.pos] && s.src[s.pos] <= '9') {
		s.pos++
	}
	name := string(s.src[start:s.pos])
	fd := fr.md.Fields().ByName(protoreflect.Name(name))
	if fd == nil || fd.Kind() == protoreflect.GroupKind {
		return s.fail(start, "%s", unknownField(fr.md, name))
	}
	if !fd.IsList() {
		if first, ok := fr.seen[fd.Number()]; ok {
			return s.fail(start, "field %q is set twice in %s (first at %s); it takes one value",
				name, fr.md.Name(), s.at(first))
		}
		fr.seen[fd.Number()] = start
	}
	s.skip()
	colon := !s.eof() && s.src[s.pos] == ':'
	if colon {
		s.pos++
		s.skip()
	}
	if fd.Message() != nil {
		return s.messageValue(fd, name)
	}
	if !colon {
		return s.fail(s.pos, "expected \":\" after field name %q, found %s", name, s.found())
	}
	if !s.eof() && s.src[s.pos] == '[' {
		if !fd.IsList() {
			return s.fail(s.pos, "field %q takes one value, not a list", name)
		}
		return s.list(func() *problem { return s.scalar(fd) }, name)
	}
	return s.scalar(fd)
}

// messageValue reads the value of a message field: { ... }, < ... > or a list of them.
func (s *scanner) messageValue(fd protoreflect.FieldDescriptor, name string) *problem {
	if !s.eof() && s.src[s.pos] == '[' && fd.IsList() {
		return s.list(func() *problem { return s.message(fd, name) }, name)
	}
	return s.message(fd, name)
}

func (s *scanner) message(fd protoreflect.FieldDescriptor, name string) *problem {
	if s.eof() || (s.src[s.pos] != '{' && s.src[s.pos] != '<') {
		return s.fail(s.pos, "expected \"{\" after %q (a %s message), found %s", name, fd.Message().Name(), s.found())
	}
	closer := byte('}')
	if s.src[s.pos] == '<' {
		closer = '>'
	}
	s.stack = append(s.stack, &frame{md: fd.Message(), field: name, open: s.pos, close: closer,
		seen: map[protoreflect.FieldNumber]int{}})
	s.pos++
	if p := s.fields(); p != nil {
		return p
	}
	s.stack = s.stack[:len(s.stack)-1]
	return nil
}

// list reads [ v, v, ... ] with item reading each value.
func (s *scanner) list(item func() *problem, name string) *problem {
	open := s.pos
	s.pos++
	s.skip()
	if !s.eof() && s.src[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		if p := item(); p != nil {
			return p
		}
		s.skip()
		switch {
		case s.eof():
			return s.fail(open, "\"[\" of %q is never closed: \"]\" is missing before the end of the file", name)
		case s.src[s.pos] == ',':
			s.pos++
			s.skip()
		case s.src[s.pos] == ']':
			s.pos++
			return nil
		default:
			return s.fail(s.pos, "expected \",\" or \"]\" in the list of %q, found %s", name, s.found())
		}
	}
}

// scalar reads and checks one value of a scalar field.
func (s *scanner) scalar(fd protoreflect.FieldDescriptor) *problem {
	name := fd.Name()
	if s.eof() {
		return s.fail(s.pos, "missing value for %q at the end of the file", name)
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		c := s.src[s.pos]
		if c != '"' && c != '\'' {
			return s.fail(s.pos, "expected a quoted string for %q, found %s", name, s.found())
		}
		for !s.eof() && (s.src[s.pos] == '"' || s.src[s.pos] == '\'') {
			if p := s.str(); p != nil {
				return p
			}
			s.skip()
		}
		return nil
	}
	start := s.pos
	if c := s.src[s.pos]; c == '"' || c == '\'' {
		return s.fail(start, "expected %s for %q, found a quoted string (only string fields take quotes)", expectedValue(fd), name)
	}
	neg := false
	if s.src[s.pos] == '-' {
		neg = true
		s.pos++
		s.skip()
	}
	w := s.word()
	if strings.HasPrefix(w, "-") || w == "" {
		if s.eof() {
			return s.fail(s.pos, "missing value for %q at the end of the file", name)
		}
		return s.fail(s.pos, "expected %s for %q, found %s", expectedValue(fd), name, s.found())
	}
	s.pos += len(w)
	if neg {
		w = "-" + w
	}
	if s.limit >= 0 {
		return nil // only following the structure up to limit; the parser judged the values
	}
	switch k := fd.Kind(); k {
	case protoreflect.BoolKind:
		switch w {
		case "true", "True", "t", "false", "False", "f", "1", "0":
			return nil
		}
		return s.fail(start, "invalid value %s for %q: expected true or false", w, name)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		if vals.ByName(protoreflect.Name(w)) != nil {
			return nil
		}
		// C++ refuses numbers that name no value; Go's parser takes any int32, so
		// UnmarshalText asks the scanner about them.
		if mag, ok, _ := parseUint(strings.TrimPrefix(w, "-")); ok && intFits(k, neg, mag) {
			num := int64(mag)
			if neg {
				num = -num
			}
			if vals.ByNumber(protoreflect.EnumNumber(num)) != nil {
				return nil
			}
		}
		return s.fail(start, "invalid value %s for %q: %s", w, name, enumHint(fd.Enum(), w))
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		if floatRE.MatchString(w) {
			return nil
		}
		switch strings.ToLower(strings.TrimPrefix(w, "-")) {
		case "inf", "infinity", "nan":
			if !(neg && strings.EqualFold(w, "-nan")) {
				return nil
			}
		}
		return s.fail(start, "invalid value %s for %q: expected a number (%s)", w, name, k)
	default: // the integer kinds
		mag, ok, overflow := parseUint(strings.TrimPrefix(w, "-"))
		switch {
		case !ok && floatRE.MatchString(w):
			return s.fail(start, "invalid value %s for %q: expected a whole number (%s)", w, name, k)
		case !ok:
			return s.fail(start, "invalid value %s for %q: expected a number (%s)", w, name, k)
		case overflow || !intFits(k, neg, mag):
			return s.fail(start, "value %s of %q is out of range for %s", w, name, k)
		}
		return nil
	}
}

// floatRE is the text format's floating-point literal, with C++'s f suffix.
var floatRE = regexp.MustCompile(`^-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?[fF]?$`)

// parseUint parses a decimal, 0x hexadecimal or 0-prefixed octal integer literal:
// ok says it is one, overflow that it does not fit 64 bits.
func parseUint(w string) (v uint64, ok, overflow bool) {
	base := 10
	switch {
	case strings.HasPrefix(w, "0x") || strings.HasPrefix(w, "0X"):
		base, w = 16, w[2:]
	case len(w) > 1 && w[0] == '0':
		base, w = 8, w[1:]
	}
	if w == "" || strings.ContainsAny(w, "_+-") {
		return 0, false, false
	}
	v, err := strconv.ParseUint(w, base, 64)
	if errors.Is(err, strconv.ErrRange) {
		return 0, true, true // an integer, too big for any field
	}
	return v, err == nil, false
}

// intFits reports whether the integer with magnitude mag, negative if neg, is a
// value of kind k (an integer kind or an enum, whose numbers are int32).
func intFits(k protoreflect.Kind, neg bool, mag uint64) bool {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind, protoreflect.EnumKind:
		return mag <= math.MaxInt32 || neg && mag == 1<<31
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return !neg && mag <= math.MaxUint32
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return !neg
	}
	return mag <= math.MaxInt64 || neg && mag == 1<<63
}

// str reads one quoted string, checking its escapes.
func (s *scanner) str() *problem {
	open := s.pos
	quote := s.src[s.pos]
	s.pos++
	for {
		if s.eof() {
			return s.fail(open, "unterminated string: no closing %c before the end of the file", quote)
		}
		c := s.src[s.pos]
		switch {
		case c == quote:
			s.pos++
			return nil
		case c == '\n':
			return s.fail(open, "unterminated string: no closing %c on its line (a string cannot span lines; write \\n for a line break)", quote)
		case c == 0:
			return s.fail(s.pos, "a NUL byte in a string (write \\0)")
		case c == '\\':
			if p := s.escape(); p != nil {
				return p
			}
		default:
			s.pos++
		}
	}
}

// escape checks the escape sequence at the current position and passes over it.
func (s *scanner) escape() *problem {
	at := s.pos
	rest := s.src[s.pos+1:]
	if len(rest) == 0 {
		return s.fail(at, "unterminated string: a \\ at the end of the file")
	}
	hexDigits := func(b []byte, max int) int {
		n := 0
		for n < len(b) && n < max && strings.IndexByte("0123456789abcdefABCDEF", b[n]) >= 0 {
			n++
		}
		return n
	}
	switch c := rest[0]; {
	case strings.IndexByte(`"'\?abfnrtv`, c) >= 0:
		s.pos += 2
	case '0' <= c && c <= '7':
		n := 1
		for n < len(rest) && n < 3 && '0' <= rest[n] && rest[n] <= '7' {
			n++
		}
		if v, _ := strconv.ParseUint(string(rest[:n]), 8, 16); v > 255 {
			return s.fail(at, "invalid escape \\%s in string: an octal escape is at most \\377", rest[:n])
		}
		s.pos += 1 + n
	case c == 'x':
		n := hexDigits(rest[1:], 2)
		if n == 0 {
			return s.fail(at, "invalid escape \\x in string: expected hexadecimal digits after it")
		}
		s.pos += 2 + n
	case c == 'u' || c == 'U':
		want := 4
		if c == 'U' {
			want = 8
		}
		if hexDigits(rest[1:], want) != want {
			return s.fail(at, "invalid escape \\%c in string: expected %d hexadecimal digits after it", c, want)
		}
		s.pos += 2 + want
	default:
		r := []rune(string(rest[:min(4, len(rest))]))
		return s.fail(at, "invalid escape \\%c in string (write \\\\ for a backslash)", r[0])
	}
	return nil
}

// expectedValue says what a value of fd looks like.
func expectedValue(fd protoreflect.FieldDescriptor) string {
	switch k := fd.Kind(); k {
	case protoreflect.EnumKind:
		return "a " + string(fd.Enum().Name()) + " name"
	case protoreflect.BoolKind:
		return "true or false"
	case protoreflect.StringKind, protoreflect.BytesKind:
		return "a quoted string"
	default:
		return fmt.Sprintf("a number (%s)", k)
	}
}

// enumHint says what values an enum takes: the name nearest to w if there is a
// close one, else all the names if they are few.
func enumHint(ed protoreflect.EnumDescriptor, w string) string {
	vals := ed.Values()
	best, bestDist := "", 3
	for i := 0; i < vals.Len(); i++ {
		name := string(vals.Get(i).Name())
		if d := editDistance(strings.ToUpper(w), strings.ToUpper(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	switch {
	case best != "":
		return fmt.Sprintf("not a %s (did you mean %s?)", ed.Name(), best)
	case vals.Len() <= 12:
		return "expected one of " + enumNames(ed)
	}
	return fmt.Sprintf("not a %s (its values are %s ... %s)", ed.Name(), vals.Get(0).Name(), vals.Get(vals.Len()-1).Name())
}

// enumNames lists an enum's value names for a message.
func enumNames(ed protoreflect.EnumDescriptor) string {
	vals := ed.Values()
	names := make([]string, vals.Len())
	for i := range names {
		names[i] = string(vals.Get(i).Name())
	}
	return strings.Join(names, ", ")
}

// unknownField says that md has no field called name and, where it can, what was
// meant: a field of md spelt nearly the same, or the *_param message that holds a
// field of that name.
func unknownField(md protoreflect.MessageDescriptor, name string) string {
	msg := fmt.Sprintf("unknown field %q in %s", name, md.Name())
	fields := md.Fields()
	best, bestDist := "", len(name)/3+1
	var holders []string
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if d := editDistance(name, string(fd.Name())); d < bestDist || (d == bestDist && best == "" && d <= 2) {
			best, bestDist = string(fd.Name()), d
		}
		if sub := fd.Message(); sub != nil && sub != md && sub.Fields().ByName(protoreflect.Name(name)) != nil {
			holders = append(holders, string(fd.Name()))
		}
	}
	switch {
	case best != "" && bestDist <= 2:
		return msg + fmt.Sprintf(" (did you mean %q?)", best)
	case len(holders) > 0:
		sort.Strings(holders)
		if len(holders) > 3 {
			holders = append(holders[:3], "...")
		}
		return msg + fmt.Sprintf(" (it is a field of %s { })", strings.Join(holders, " { }, "))
	}
	return msg
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
