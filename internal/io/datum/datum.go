// Package datum converts between Caffe's Datum records, images and the raw dataset
// files Caffe's converters read: MNIST's idx files and the CIFAR-10/100 binary batches.
//
// Images are held as OpenCV holds them after cv::imread — rows of interleaved 8-bit
// pixels in BGR (or BGRA, or grey) order — so that a Datum made here has the bytes
// Caffe's convert_imageset would write, and a decoded Datum has the values Caffe's
// DataTransformer reads. Decoding and resampling use Go's image packages and
// golang.org/x/image, which can differ from OpenCV's libjpeg and cv::resize by a grey
// level or so; lossless formats without resizing are exact.
package datum

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Marshal serialises d as Caffe's C++ protobuf does: fields in field-number order,
// float_data unpacked, as proto2 writes it. The bytes equal those of Caffe's
// converters for the same Datum.
func Marshal(d *caffepb.Datum) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(d)
}

// Unmarshal parses a serialised Datum into d, which it resets first.
func Unmarshal(b []byte, d *caffepb.Datum) error {
	proto.Reset(d)
	return proto.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(b, d)
}

// Shape returns the (channels, height, width) a non-encoded Datum declares and checks
// that its values agree with it: raw bytes or float_data, one value per element.
func Shape(d *caffepb.Datum) (c, h, w int, err error) {
	c, h, w = int(d.GetChannels()), int(d.GetHeight()), int(d.GetWidth())
	if c <= 0 || h <= 0 || w <= 0 {
		return 0, 0, 0, fmt.Errorf("datum has shape %d×%d×%d; channels, height and width must be positive", c, h, w)
	}
	// Checked: a crafted Datum's product could wrap around to the length of its data.
	n, err := blob.CountOf(c, h, w)
	if se := (*blob.ShapeError)(nil); errors.As(err, &se) {
		return 0, 0, 0, fmt.Errorf("datum has shape %d×%d×%d: %s", c, h, w, se.Msg)
	}
	switch {
	case len(d.Data) > 0:
		if len(d.Data) != n {
			return 0, 0, 0, fmt.Errorf("datum of shape %d×%d×%d holds %d bytes of data, want %d", c, h, w, len(d.Data), n)
		}
	case len(d.FloatData) > 0:
		if len(d.FloatData) != n {
			return 0, 0, 0, fmt.Errorf("datum of shape %d×%d×%d holds %d float_data values, want %d", c, h, w, len(d.FloatData), n)
		}
	default:
		return 0, 0, 0, fmt.Errorf("datum of shape %d×%d×%d holds neither data bytes nor float_data", c, h, w)
	}
	return c, h, w, nil
}

// Image returns the image an encoded Datum holds, decoded as Caffe decodes it: with
// mode Native the image keeps its own channels (cv::imdecode with IMREAD_UNCHANGED),
// Color forces three BGR channels and Gray one. It is an error if d is not encoded.
func Image(d *caffepb.Datum, mode ColorMode) (*Img, error) {
	if !d.GetEncoded() {
		return nil, fmt.Errorf("datum is not encoded")
	}
	im, err := Decode(d.Data, mode)
	if err != nil {
		return nil, fmt.Errorf("decoding datum: %w", err)
	}
	return im, nil
}

// FromImage returns the raw Datum of an image, as Caffe's CVMatToDatum makes it: the
// shape, the pixels in channel, row, column order, encoded set to false, and label.
func FromImage(im *Img, label int32) *caffepb.Datum {
	return &caffepb.Datum{
		Channels: proto.Int32(int32(im.Channels)),
		Height:   proto.Int32(int32(im.Height)),
		Width:    proto.Int32(int32(im.Width)),
		Data:     im.CHW(nil),
		Label:    proto.Int32(label),
		Encoded:  proto.Bool(false),
	}
}

// Decoded returns the raw form of d: d itself when it is not encoded, otherwise the
// Datum of its decoded image with its label (Caffe's DecodeDatumNative).
func Decoded(d *caffepb.Datum) (*caffepb.Datum, error) {
	if !d.GetEncoded() {
		return d, nil
	}
	im, err := Image(d, Native)
	if err != nil {
		return nil, err
	}
	return FromImage(im, d.GetLabel()), nil
}
