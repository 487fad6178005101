package protofile

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// MarshalText returns m in the text format as C++ TextFormat prints it, so as Caffe
// writes it: fields in field-number order, one per line, two spaces of indent per
// level, enums by name, strings with C's escapes, floats as C++ prints them (see
// formatFloat). Unlike Go's prototext, the output is the same on every run, and it
// parses back to an equal message. Unknown fields are left out, as the text format
// cannot name them.
func MarshalText(m proto.Message) []byte {
	var b bytes.Buffer
	printMessage(&b, m.ProtoReflect(), 0)
	return b.Bytes()
}

// WriteText writes m in the text format (see MarshalText) to path, through a
// temporary file renamed into place.
func WriteText(path string, m proto.Message) error {
	return writeFileAtomic(path, MarshalText(m))
}

func printMessage(b *bytes.Buffer, m protoreflect.Message, depth int) {
	for _, fd := range fieldsByNumber(m.Descriptor()) {
		switch {
		case fd.IsList():
			l := m.Get(fd).List()
			for i := 0; i < l.Len(); i++ {
				printField(b, fd, l.Get(i), depth)
			}
		case fd.IsMap():
			printMap(b, fd, m.Get(fd).Map(), depth)
		case m.Has(fd):
			printField(b, fd, m.Get(fd), depth)
		}
	}
}

// printMap prints a map as its entry messages in key order, as C++ does.
func printMap(b *bytes.Buffer, fd protoreflect.FieldDescriptor, mp protoreflect.Map, depth int) {
	keys := make([]protoreflect.MapKey, 0, mp.Len())
	mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	sort.Slice(keys, func(i, j int) bool {
		a, c := keys[i].Interface(), keys[j].Interface()
		switch a := a.(type) {
		case string:
			return a < c.(string)
		case bool:
			return !a && c.(bool)
		case int32:
			return a < c.(int32)
		case int64:
			return a < c.(int64)
		case uint32:
			return a < c.(uint32)
		case uint64:
			return a < c.(uint64)
		}
		return false
	})
	kd, vd := fd.MapKey(), fd.MapValue()
	for _, k := range keys {
		indent(b, depth)
		b.WriteString(string(fd.TextName()))
		b.WriteString(" {\n")
		printField(b, kd, k.Value(), depth+1)
		printField(b, vd, mp.Get(k), depth+1)
		indent(b, depth)
		b.WriteString("}\n")
	}
}

func printField(b *bytes.Buffer, fd protoreflect.FieldDescriptor, v protoreflect.Value, depth int) {
	indent(b, depth)
	b.WriteString(string(fd.TextName()))
	if fd.Message() != nil {
		b.WriteString(" {\n")
		printMessage(b, v.Message(), depth+1)
		indent(b, depth)
		b.WriteString("}\n")
		return
	}
	b.WriteString(": ")
	switch fd.Kind() {
	case protoreflect.BoolKind:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case protoreflect.FloatKind:
		b.WriteString(formatFloat(v.Float(), 32))
	case protoreflect.DoubleKind:
		b.WriteString(formatFloat(v.Float(), 64))
	case protoreflect.StringKind:
		quote(b, []byte(v.String()))
	case protoreflect.BytesKind:
		quote(b, v.Bytes())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			b.WriteString(string(ev.Name()))
		} else {
			b.WriteString(strconv.FormatInt(int64(v.Enum()), 10))
		}
	}
	b.WriteByte('\n')
}

// formatFloat prints a float as C++ TextFormat does (SimpleFtoa, SimpleDtoa): C's %g
// with 6 significant digits for a float (15 for a double) when that reads back to
// the same value, else with 9 (17), which always does; inf, -inf and nan for the
// special values. Printing as Caffe prints keeps our text files byte for byte
// equal to Caffe's.
func formatFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	short, long := 6, 9 // FLT_DIG, FLT_DIG+3
	if bits == 64 {
		short, long = 15, 17 // DBL_DIG, DBL_DIG+2
	}
	s := strconv.FormatFloat(f, 'g', short, bits)
	if back, err := strconv.ParseFloat(s, bits); err != nil || back != f {
		s = strconv.FormatFloat(f, 'g', long, bits)
	}
	return s
}

// quote writes s between double quotes with C++'s CEscape: \n \r \t \" \' \\ by name,
// other bytes outside printable ASCII as three octal digits.
func quote(b *bytes.Buffer, s []byte) {
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		default:
			if c < 0x20 || c >= 0x7f {
				b.Write([]byte{'\\', '0' + c>>6, '0' + c>>3&7, '0' + c&7})
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

func indent(b *bytes.Buffer, depth int) {
	for i := 0; i < depth; i++ {
		b.WriteString("  ")
	}
}

// sortedFields caches each message type's fields in field-number order.
var sortedFields sync.Map // protoreflect.FullName -> []protoreflect.FieldDescriptor

func fieldsByNumber(md protoreflect.MessageDescriptor) []protoreflect.FieldDescriptor {
	if v, ok := sortedFields.Load(md.FullName()); ok {
		return v.([]protoreflect.FieldDescriptor)
	}
	fields := md.Fields()
	out := make([]protoreflect.FieldDescriptor, fields.Len())
	for i := range out {
		out[i] = fields.Get(i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number() < out[j].Number() })
	sortedFields.Store(md.FullName(), out)
	return out
}
