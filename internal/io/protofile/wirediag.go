package protofile

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// diagnoseWire walks binary data that failed to decode as a message of type md and
// returns where and in which field its encoding breaks, or nil if it finds nothing.
func diagnoseWire(data []byte, md protoreflect.MessageDescriptor) *BinaryError {
	return walkWire(data, 0, md, "", 0)
}

// maxWireDepth bounds the nesting the walk follows, as the decoder bounds it.
const maxWireDepth = 100

// walkWire checks the fields of one message held in b, which starts at byte base of
// the file; path names the message for errors.
func walkWire(b []byte, base int, md protoreflect.MessageDescriptor, path string, depth int) *BinaryError {
	where := path
	if where == "" {
		where = string(md.Name())
	}
	if depth > maxWireDepth {
		return &BinaryError{Offset: int64(base), What: where, Msg: "messages are nested too deeply"}
	}
	count := map[protowire.Number]int{}
	for off := 0; off < len(b); {
		num, typ, n := protowire.ConsumeTag(b[off:])
		if n < 0 {
			return &BinaryError{Offset: int64(base + off), What: where,
				Msg: "bad field tag (" + wireError(n) + "): the file is corrupt or not a " + string(md.Name())}
		}
		var fd protoreflect.FieldDescriptor
		if md != nil {
			fd = md.Fields().ByNumber(num)
		}
		name := fieldLabel(fd, num, count[num])
		count[num]++
		fieldPath := name
		if path != "" {
			fieldPath = path + " > " + name
		}
		val := b[off+n:]
		m := protowire.ConsumeFieldValue(num, typ, val)
		if m < 0 {
			be := &BinaryError{Offset: int64(base + off), What: fieldPath, Msg: valueError(typ, val, m)}
			// A message cut short: say which of its own fields the cut falls in.
			if _, k := protowire.ConsumeVarint(val); typ == protowire.BytesType && k > 0 && fd != nil && fd.Message() != nil {
				if inner := checkLengthDelimited(fd, val[k:], base+off, base+off+n+k, fieldPath, depth); inner != nil {
					return inner
				}
			}
			return be
		}
		if fd != nil && typ == protowire.BytesType {
			content, _ := protowire.ConsumeBytes(val)
			contentBase := base + off + n + (m - len(content))
			if be := checkLengthDelimited(fd, content, base+off, contentBase, fieldPath, depth); be != nil {
				return be
			}
		}
		off += n + m
	}
	return nil
}

// checkLengthDelimited checks the content of a length-delimited field that starts at
// byte start, its content at byte base: a nested message, or a packed list of numbers.
func checkLengthDelimited(fd protoreflect.FieldDescriptor, content []byte, start, base int, path string, depth int) *BinaryError {
	if sub := fd.Message(); sub != nil {
		if nameFd := sub.Fields().ByName("name"); nameFd != nil && nameFd.Kind() == protoreflect.StringKind {
			if s, ok := peekString(content, nameFd.Number()); ok {
				path += " " + strconv.Quote(s)
			}
		}
		return walkWire(content, base, sub, path, depth+1)
	}
	if !fd.IsList() {
		return nil
	}
	size := 0
	switch fd.Kind() {
	case protoreflect.FloatKind, protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		size = 4
	case protoreflect.DoubleKind, protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		size = 8
	case protoreflect.StringKind, protoreflect.BytesKind:
		return nil
	}
	if size > 0 {
		if len(content)%size != 0 {
			return &BinaryError{Offset: int64(start), What: path,
				Msg: fmt.Sprintf("%d bytes of packed %s values is not a whole number of %d-byte values", len(content), fd.Kind(), size)}
		}
		return nil
	}
	for off := 0; off < len(content); {
		_, n := protowire.ConsumeVarint(content[off:])
		if n < 0 {
			return &BinaryError{Offset: int64(base + off), What: path,
				Msg: fmt.Sprintf("packed %s value %d is cut short or malformed", fd.Kind(), off)}
		}
		off += n
	}
	return nil
}

// fieldLabel names a field for a path: "layer[3]" for the fourth value of a repeated
// message or string field, "shape" for a singular or packed one, "field 1003" for one
// the schema does not know.
func fieldLabel(fd protoreflect.FieldDescriptor, num protowire.Number, index int) string {
	if fd == nil {
		return fmt.Sprintf("field %d", num)
	}
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind, protoreflect.StringKind, protoreflect.BytesKind:
		if fd.IsList() {
			return fmt.Sprintf("%s[%d]", fd.Name(), index)
		}
	}
	return string(fd.Name())
}

// valueError says why the value of a field of wire type typ at the start of b could
// not be read; code is protowire's negative error code.
func valueError(typ protowire.Type, b []byte, code int) string {
	switch typ {
	case protowire.BytesType:
		if n, k := protowire.ConsumeVarint(b); k > 0 && n > uint64(len(b)-k) {
			return fmt.Sprintf("the field holds %d bytes but only %d remain in the file: it is truncated or corrupt", n, len(b)-k)
		}
	case protowire.Fixed32Type, protowire.Fixed64Type, protowire.VarintType:
		if len(b) < 10 {
			return "the file ends inside a number: it is truncated"
		}
	case protowire.StartGroupType:
		return "a group that does not end (" + wireError(code) + "): the file is corrupt"
	}
	if typ > protowire.Fixed32Type {
		return fmt.Sprintf("invalid wire type %d: the file is corrupt or not a protocol buffer", typ)
	}
	return wireError(code) + ": the file is corrupt"
}

// wireError is protowire's text for error code, without its "proto:" prefix (which
// the protobuf module follows with a space or, at random, a no-break space).
func wireError(code int) string {
	s := strings.TrimPrefix(protowire.ParseError(code).Error(), "proto:")
	return strings.TrimLeft(s, " \u00a0")
}

// peekString returns the first string field number num of the message in b, for
// naming layers in errors.
func peekString(b []byte, num protowire.Number) (string, bool) {
	for len(b) > 0 {
		n, typ, k := protowire.ConsumeTag(b)
		if k < 0 {
			return "", false
		}
		b = b[k:]
		if n == num && typ == protowire.BytesType {
			v, k := protowire.ConsumeBytes(b)
			return string(v), k >= 0
		}
		k = protowire.ConsumeFieldValue(n, typ, b)
		if k < 0 {
			return "", false
		}
		b = b[k:]
	}
	return "", false
}
