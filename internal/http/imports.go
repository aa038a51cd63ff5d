package http

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cdp-gateway/cdp-gateway/internal/domain"
)

// NDJSON contact imports (POST /v1/contacts/imports). The body is read
// line by line as it arrives; valid items go to the job data store a
// chunk at a time (domain.ContactImport), so a request holds one chunk
// whatever the body's size. Its body is therefore not held by the body
// limit's budget, checked by the validator or fingerprinted by the
// idempotency middleware: streamed tells them apart.

const (
	importRoute = "/v1/contacts/imports"
	// DefaultMaxImportBytes bounds an import's body by default.
	DefaultMaxImportBytes = 256 << 20
	// maxImportLine bounds one line of an import.
	maxImportLine = 256 << 10
	// maxBadLines is how many bad lines a refused import names.
	maxBadLines = 20
	// importReadTimeout replaces the server's read timeout for an
	// import's body, which may be large.
	importReadTimeout = 15 * time.Minute
)

// streamed reports whether r's body is an import's, read as it arrives.
// It is a comparison of strings: no cost to other requests.
func streamed(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == importRoute
}

// checkNDJSON refuses an import whose body is not NDJSON.
func checkNDJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-ndjson" {
		return newProblem(ProblemCodeUnsupportedMediaType, "send the import as application/x-ndjson: one JSON object per line")
	}
	return nil
}

// ImportContacts implements StrictServerInterface.
func (s *Server) ImportContacts(ctx context.Context, req ImportContactsRequestObject) (ImportContactsResponseObject, error) {
	t, err := targetFrom(ctx)
	if err != nil {
		return nil, err
	}
	im, err := s.svc.BeginContactImport(t, s.jobData, domain.OnConflict(deref(req.Params.OnConflict)))
	if err != nil {
		return nil, err
	}
	bad, err := s.readImport(ctx, im, req.Body)
	if err != nil || len(bad) > 0 {
		im.Abort(ctx)
		if err == nil {
			err = &domain.ValidationError{Fields: bad}
		}
		return nil, err
	}
	j, err := im.Start(ctx)
	if err != nil {
		return nil, err
	}
	loc := jobLocation(j)
	return ImportContacts202JSONResponse{Body: toJob(j, time.Now()), Headers: ImportContacts202ResponseHeaders{Location: &loc}}, nil
}

// readImport reads body's lines into im until its end, or until it found
// maxBadLines bad lines (or one too long), and returns the bad lines'
// field errors. An error is the body's (over the limit, cut off) or the
// store's.
func (s *Server) readImport(ctx context.Context, im *domain.ContactImport, body io.Reader) ([]domain.FieldError, error) {
	br := bufio.NewReaderSize(body, maxImportLine)
	var bad []domain.FieldError
	badLines := 0
	for line := 1; ; line++ {
		b, err := br.ReadSlice('\n')
		where := "line " + strconv.Itoa(line)
		if errors.Is(err, bufio.ErrBufferFull) {
			return append(bad, domain.FieldError{Field: where, Message: "is longer than " + strconv.Itoa(maxImportLine>>10) + " KiB"}), nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if len(bytes.TrimSpace(b)) > 0 {
			in, fields := s.importItem(b, where)
			switch {
			case len(fields) > 0:
				bad = append(bad, fields...)
				if badLines++; badLines == maxBadLines {
					return bad, nil
				}
			case len(bad) == 0: // once a line is bad nothing is kept
				if err := im.Add(ctx, line, in); err != nil {
					return nil, err
				}
			}
		}
		if err != nil { // io.EOF
			return bad, nil
		}
	}
}

// importItem checks one line as a batch item (the ContactInput schema,
// unknown members refused, numbers exact) and converts it.
func (s *Server) importItem(b []byte, where string) (domain.ContactInput, []domain.FieldError) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return domain.ContactInput{}, []domain.FieldError{{Field: where, Message: "is not valid JSON"}}
	}
	if err := s.contactInput.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsRequest()); err != nil {
		var fields []domain.FieldError
		for _, e := range flatten(err) {
			var se *openapi3.SchemaError
			if errors.As(e, &se) {
				fields = append(fields, schemaFields(where, se)...)
			} else {
				fields = append(fields, domain.FieldError{Field: where, Message: "is invalid"})
			}
		}
		return domain.ContactInput{}, fields
	}
	var in ContactInput
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		// The schema passed it; what is left is a value Go cannot hold.
		return domain.ContactInput{}, []domain.FieldError{{Field: where, Message: "could not be read"}}
	}
	return fromContactInput(in), nil
}
