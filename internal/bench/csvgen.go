package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// header is the header row of every generated file: six text columns.
const header = "firstname,lastname,email,address,town,postcode"

// columns returns the columns of the generated files.
func columns() []string { return strings.Split(header, ",") }

// appendRow appends record i of the generated data as a CSV line.
func appendRow(b []byte, i int) []byte {
	n := int64(i)
	b = strconv.AppendInt(append(b, "Firstname"...), n, 10)
	b = strconv.AppendInt(append(b, ",Lastname"...), n, 10)
	b = strconv.AppendInt(append(b, ",person"...), n, 10)
	b = strconv.AppendInt(append(b, "@example.com,"...), n%500+1, 10)
	b = strconv.AppendInt(append(b, " High Street,Town "...), n%997, 10)
	b = strconv.AppendInt(append(b, ",AB"...), n%90+10, 10)
	return append(b, " 1CD\n"...)
}

// writeCSV writes a CSV file of n generated records, with the header row.
func writeCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	b := []byte(header + "\n")
	for i := range n {
		b = appendRow(b, i)
		if len(b) >= 64<<10 {
			if _, err := w.Write(b); err != nil {
				f.Close()
				return err
			}
			b = b[:0]
		}
	}
	if _, err := w.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
