package discovery

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"
)

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as the inside of a JSON string (without quotes), escaping as encoding/json does
// except for HTML characters, which http_sd clients do not need escaped. verbatim reports that s was appended
// unchanged, so the appended bytes can stand for s itself.
func appendJSONString(dst []byte, s string) ([]byte, bool) {
	i := plainPrefix(s)
	for ; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			break
		}
	}
	if i == len(s) {
		return append(dst, s...), true
	}
	verbatim := true
	dst = append(dst, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
				verbatim = false
			case c == '\n':
				dst = append(dst, '\\', 'n')
				verbatim = false
			case c == '\r':
				dst = append(dst, '\\', 'r')
				verbatim = false
			case c == '\t':
				dst = append(dst, '\\', 't')
				verbatim = false
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				verbatim = false
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
			verbatim = false
		case r == '\u2028' || r == '\u2029':
			// Valid JSON, but encoding/json escapes them for JavaScript; do the same.
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			verbatim = false
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst, verbatim
}

// plainPrefix returns the length of the longest prefix of s, in whole 8-byte words, that needs no escaping: no
// control character, quote, backslash or non-ASCII byte. Label sets are mostly plain ASCII, and checking eight
// bytes at a time is several times faster than a byte loop.
func plainPrefix(s string) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		// Bytes below 0x20 (exact when no byte has the high bit, which the last term catches), and bytes equal
		// to '"' or '\\' (zero bytes after xor).
		ctl := (x - lo*0x20) &^ x
		q := x ^ (lo * '"')
		q = (q - lo) &^ q
		b := x ^ (lo * '\\')
		b = (b - lo) &^ b
		if (ctl|q|b|x)&hi != 0 {
			break
		}
	}
	return i
}
