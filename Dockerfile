# cdp-gateway for people with Docker (or any BuildKit / Buildah builder).
# `make image` builds the same image without Docker (tools/image); this file
# is not run by the tests.
#
#   docker build \
#     --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" \
#     --build-arg DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
#     -t cdp-gateway .
#   docker run --read-only -p 8080:8080 -p 9090:9090 -v "$PWD/tenants.yaml:/etc/cdp-gateway/tenants.yaml:ro" \
#     cdp-gateway --config /etc/cdp-gateway/tenants.yaml
#
# Without the build arguments the version falls back to what the Go
# toolchain records ("devel" when the build context has no .git).

# The Go of go.mod.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
ARG DATE=""
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w \
        -X github.com/cdp-gateway/cdp-gateway/internal/buildinfo.version=${VERSION} \
        -X github.com/cdp-gateway/cdp-gateway/internal/buildinfo.commit=${COMMIT} \
        -X github.com/cdp-gateway/cdp-gateway/internal/buildinfo.date=${DATE}" \
      -o /out/gateway ./cmd/gateway

# Distroless static: CA certificates, /etc/passwd with nonroot (65532), no
# shell. The gateway writes no file, so --read-only suits it.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /gateway
USER 65532:65532
# The API and the probes (the config's listen or --addr may change it),
# and the operators' routes: /admin/v1, /metrics, /docs (--ops-addr).
EXPOSE 8080 9090
ENTRYPOINT ["/gateway"]
