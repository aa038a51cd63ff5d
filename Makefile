# cdp-gateway. `make run` starts the sandbox; `make test` runs every check CI runs.

GO        ?= go
REDOCLY   := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --yes @redocly/cli@2.77.0
# golangci-lint from the Go module proxy, pinned; the linters and why each
# is on are in .golangci.yml.
GOLANGCI  := $(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
SPEC      := api/openapi.yaml
GENERATED := internal/http/api.gen.go
# The TypeScript client (README: TypeScript client): its types are
# generated from the spec by the openapi-typescript its package-lock pins.
TS_CLIENT := clients/typescript
TS_SCHEMA := $(TS_CLIENT)/src/schema.ts

# The version the binaries report (gateway --version, /healthz,
# service.version), set at link time; the Dockerfile and tools/image set
# the same. Unset parts fall back to the Go toolchain's build information.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE      ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
BUILDINFO := github.com/cdp-gateway/cdp-gateway/internal/buildinfo
LDFLAGS   := -s -w -X $(BUILDINFO).version=$(VERSION) -X $(BUILDINFO).commit=$(COMMIT) -X $(BUILDINFO).date=$(DATE)
IMAGE     := bin/cdp-gateway-image.tar

.PHONY: run test vet fmt-check generate generate-check ts-deps lint lint-spec lint-go unit bench build image redis-server loadtest nginx

## run: the gateway in sandbox mode (in-process vendor simulators, no Redis).
## Built, then exec'd: the gateway is make's own child, so stopping make
## (Ctrl-C, or SIGTERM, which make passes on) stops it; `go run` would
## leave it running on a SIGTERM.
run: build
	exec bin/gateway --sandbox

## test: vet, gofmt, generated code in sync with the spec, linters, race
## tests (the TypeScript client's included: clients/typescript/client_test.go)
test: vet fmt-check generate-check lint unit

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## generate: regenerate the HTTP server and the TypeScript client's types from the spec
generate: ts-deps
	$(GO) generate ./...
	cd $(TS_CLIENT) && npm run --silent generate

## generate-check: fail when the committed generated code differs from the spec's
generate-check: ts-deps
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	sed "s|^output:.*|output: $$tmp/api.gen.go|" internal/http/cfg.yaml > "$$tmp/cfg.yaml" && \
	$(GO) tool oapi-codegen --config="$$tmp/cfg.yaml" $(SPEC) && \
	if ! diff -q "$$tmp/api.gen.go" $(GENERATED) >/dev/null; then \
		echo "$(GENERATED) is out of date with $(SPEC): run 'make generate'"; \
		diff -u $(GENERATED) "$$tmp/api.gen.go" | head -40; exit 1; \
	fi
	@cd $(TS_CLIENT) && if ! npm run --silent generate -- --check; then \
		echo "$(TS_SCHEMA) is out of date with $(SPEC): run 'make generate'"; exit 1; \
	fi

## ts-deps: the TypeScript client's npm packages, as package-lock.json pins
## them (npm ci), unless node_modules was installed from this lock file
## (the stamp clients/typescript/client_test.go keeps too)
ts-deps:
	@cd $(TS_CLIENT) && if ! cmp -s package-lock.json node_modules/.cdp-gateway-lock.json; then \
		npm ci --no-audit --no-fund && cp package-lock.json node_modules/.cdp-gateway-lock.json; \
	fi

## lint: the spec and the Go code
lint: lint-spec lint-go

## lint-spec: the OpenAPI spec against Redocly's recommended-strict rules
lint-spec:
	$(REDOCLY) lint $(SPEC)

## lint-go: golangci-lint with the linters of .golangci.yml
lint-go:
	$(GOLANGCI) run ./...

unit: redis-server
	$(GO) test -race -count=1 ./...

## redis-server: make sure the binary the Redis tests start exists ($REDIS_SERVER
## or redis-server on PATH); install Debian's package where it is missing
redis-server:
	@if [ -n "$$REDIS_SERVER" ] && [ -x "$$REDIS_SERVER" ]; then exit 0; fi; \
	if [ -z "$$REDIS_SERVER" ] && command -v redis-server >/dev/null 2>&1; then exit 0; fi; \
	if [ -n "$$REDIS_SERVER" ]; then echo "REDIS_SERVER=$$REDIS_SERVER is not an executable" >&2; exit 1; fi; \
	echo "redis-server not found: installing Debian's redis-server package"; \
	sudo=; if [ "$$(id -u)" != 0 ]; then sudo=sudo; fi; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server

## build: bin/gateway for this machine, with its version
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/gateway ./cmd/gateway

## image: the container image, without Docker or a registry: a static
## linux/amd64 gateway and the CA bundle on scratch, as an OCI layout and
## docker-save tarball in $(IMAGE) (README: Container image)
image:
	$(GO) run ./tools/image -version '$(VERSION)' -commit '$(COMMIT)' -date '$(DATE)' -o $(IMAGE)

## bench: benchmarks (gateway overhead against direct calls)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## loadtest: the load harness, a benchmark and never part of `make test`:
## the built gateway, a standalone simulator per vendor, a bare
## httputil.ReverseProxy and nginx, each a process of its own, driven
## with vegeta; prints a table and RATIO/CPU/THROUGHPUT/WALL/RSS lines.
## LOADTEST_QUICK=1 is a smoke run under 60 s; the other knobs are in the
## README (Performance).
loadtest: build nginx
	$(GO) build -o bin/loadtest ./tools/loadtest
	$(GO) build -o bin/loadtest-simulator ./tools/loadtest/simulator
	$(GO) build -o bin/loadtest-proxy ./tools/loadtest/proxy
	bin/loadtest

## nginx: make sure nginx exists for the load harness ($LOADTEST_NGINX, or
## nginx on PATH or in /usr/sbin); install Debian's package where it is
## missing. LOADTEST_NGINX=none runs the harness without nginx.
nginx:
	@if [ "$$LOADTEST_NGINX" = none ]; then exit 0; fi; \
	if [ -n "$$LOADTEST_NGINX" ] && [ -x "$$LOADTEST_NGINX" ]; then exit 0; fi; \
	if [ -n "$$LOADTEST_NGINX" ]; then echo "LOADTEST_NGINX=$$LOADTEST_NGINX is not an executable" >&2; exit 1; fi; \
	if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi; \
	echo "nginx not found: installing Debian's nginx package"; \
	sudo=; if [ "$$(id -u)" != 0 ]; then sudo=sudo; fi; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx
