package http

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"

	gojson "github.com/goccy/go-json"
)

// The hot answers — a page of contacts, one contact — are encoded with
// github.com/goccy/go-json rather than the generated code's encoding/json:
// the same bytes (TestFastAnswersEncodeAsGenerated) at half the CPU
// (BenchmarkAnswerEncoding). Each type is its generated answer with the
// generated Visit method's work done by writeJSON.

// contactListAnswer is ListContacts200JSONResponse, encoded by writeJSON.
type contactListAnswer ListContacts200JSONResponse

// VisitListContactsResponse implements ListContactsResponseObject.
func (a contactListAnswer) VisitListContactsResponse(w http.ResponseWriter) error {
	h := a.Headers
	return writeJSON(w, http.StatusOK, a.Body, []header{
		{"Cache-Control", h.CacheControl}, {"X-Content-Type-Options", h.XContentTypeOptions},
		{"X-Request-Id", h.XRequestID}, {"X-Vendor", (*string)(h.XVendor)},
	})
}

// contactAnswer is GetContact200JSONResponse, encoded by writeJSON.
type contactAnswer GetContact200JSONResponse

// VisitGetContactResponse implements GetContactResponseObject.
func (a contactAnswer) VisitGetContactResponse(w http.ResponseWriter) error {
	h := a.Headers
	return writeJSON(w, http.StatusOK, a.Body, []header{
		{"Cache-Control", h.CacheControl}, {"ETag", h.ETag}, {"X-Content-Type-Options", h.XContentTypeOptions},
		{"X-Request-Id", h.XRequestID}, {"X-Vendor", (*string)(h.XVendor)},
	})
}

// header is one of an answer's optional headers, set when not nil.
type header struct {
	name  string
	value *string
}

// writeJSON answers status with body as JSON and the headers set, as the
// generated Visit methods do, plus its Content-Length: encoded whole
// before anything is written, so that an encoding error still gets its
// problem answer, and sent in one write rather than in chunks. The buffer
// is reused (answerBuffers).
func writeJSON(w http.ResponseWriter, status int, body any, headers []header) error {
	buf := answerBuffers.Get().(*bytes.Buffer)
	defer putAnswerBuffer(buf)
	if err := gojson.NewEncoder(buf).Encode(body); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	for _, x := range headers {
		if x.value != nil {
			h.Set(x.name, *x.value)
		}
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// answerBuffers hold the encoded answers: a page of contacts is tens of
// kilobytes, which a new buffer would reach by doubling, a copy at each
// step. A buffer grown past maxPooledAnswer (a rare page of large
// records) is left to the collector rather than kept.
var answerBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledAnswer = 1 << 20

func putAnswerBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledAnswer {
		return
	}
	b.Reset()
	answerBuffers.Put(b)
}
