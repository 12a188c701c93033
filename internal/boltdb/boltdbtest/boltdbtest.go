// Package boltdbtest damages bbolt files the ways a bad disk does, for
// tests of what a daemon says about them (internal/boltdb).
package boltdbtest

import (
	"encoding/binary"
	"fmt"
	"os"
)

// Damage is a way to damage a bbolt file. Each one made bbolt panic (or
// fault) when the file was opened or first read.
type Damage string

// The damages, named after what bbolt says about them.
const (
	// FreelistPage marks the freelist page as a leaf ("invalid
	// freelist page").
	FreelistPage Damage = "invalid freelist page"
	// PageID gives the root page another id ("assertion failed: Page
	// expected to be").
	PageID Damage = "page assertion"
	// PageFlags gives the root page the freelist's type (an index out of
	// range).
	PageFlags Damage = "index out of range"
	// ElementCount gives the root page more elements than fit (reads
	// past the page, or past the file).
	ElementCount Damage = "element count past the page"
	// Garbage overwrites every page but the meta pages.
	Garbage Damage = "garbage pages"
	// Meta clears both meta pages ("invalid database").
	Meta Damage = "no valid meta page"
	// Truncated cuts the file to 100 bytes ("file size too small").
	Truncated Damage = "truncated"
)

// All lists every damage.
var All = []Damage{FreelistPage, PageID, PageFlags, ElementCount, Garbage, Meta, Truncated}

// Apply damages the closed bbolt file at path.
//
// The on-disk layout bbolt documents: a page starts with its id (8
// bytes), flags (2), count (2) and overflow (4); pages 0 and 1 are the
// meta pages, which hold the page size at byte 24, the root bucket's page
// id at byte 32 and the freelist's at byte 48.
func Apply(path string, d Damage) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) < 2*4096 {
		return fmt.Errorf("boltdbtest: %s is too small to be a bbolt file", path)
	}
	ps := int(binary.LittleEndian.Uint32(b[24:]))
	page := func(meta []byte, idAt int) []byte {
		id := int(binary.LittleEndian.Uint64(meta[idAt:]))
		return b[id*ps : (id+1)*ps]
	}
	for m := range 2 {
		meta := b[m*ps : (m+1)*ps]
		switch d {
		case FreelistPage:
			binary.LittleEndian.PutUint16(page(meta, 48)[8:], 0x02)
		case PageID:
			binary.LittleEndian.PutUint64(page(meta, 32), 999)
		case PageFlags:
			binary.LittleEndian.PutUint16(page(meta, 32)[8:], 0x10)
		case ElementCount:
			binary.LittleEndian.PutUint16(page(meta, 32)[10:], 0xffff)
		case Meta:
			clear(meta[16:80])
		}
	}
	switch d {
	case Garbage:
		for i := 2 * ps; i < len(b); i++ {
			b[i] = byte(i * 7)
		}
	case Truncated:
		b = b[:100]
	}
	return os.WriteFile(path, b, 0o600)
}
