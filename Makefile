# Data8 Go toolkit. `make test` runs every check CI runs; `make demo` runs the main job on the built-in server.
GO ?= go
SPECTRAL := node_modules/.bin/spectral

.PHONY: demo generate check-generated lint test tools

## demo: the main job end to end: clean a bundled sample of UK contacts on the built-in server.
demo:
	$(GO) run ./cmd/data8 demo

## generate: regenerate gen/ from api/openapi.yaml with the pinned oapi-codegen. With OVERLAY=path (for example the
## observed.overlay.yaml a conformance run writes), from the spec with that OpenAPI Overlay applied, through
## oapi-codegen's own output-options.overlay; check-generated always checks against the base spec.
OVERLAY ?=
generate:
ifeq ($(OVERLAY),)
	cd gen && $(GO) generate ./
else
	$(GO) run ./conformance/internal/overlaygen -overlay $(OVERLAY)
endif

## check-generated: fail when gen/ differs from what api/openapi.yaml generates.
check-generated:
	$(MAKE) generate OVERLAY=
	@git diff --exit-code --stat -- gen/ || { echo "gen/ is out of date with api/openapi.yaml: run make generate and commit" >&2; exit 1; }
	@test -z "$$(git status --porcelain --untracked-files=all -- gen/)" || { git status --porcelain -- gen/; echo "gen/ has files git does not track" >&2; exit 1; }

## tools: install the npm tools pinned in package-lock.json.
tools: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

## lint: lint the spec with Spectral (spectral:oas plus the project's rules); fails on any error.
lint: tools
	$(SPECTRAL) lint --fail-severity=error api/openapi.yaml

## test: vet, generated-code check, spec lint, every Go test under the race detector, then the mutation
## tests without it: the stand-in's cross-check (each mutation against every other rule's scenario), the
## suite against each mutation and under each profile alone (under the race detector those tests run
## only the unmutated server and every profile at once).
test: tools
	$(GO) vet ./...
	$(MAKE) check-generated
	$(MAKE) lint
	$(GO) test -race -timeout 20m ./...
	$(GO) test -count=1 -run '^(TestMutations|TestProfiles)$$' ./data8test ./conformance
	$(MAKE) prism

## prism: run the conformance suite through Prism's validation proxy (prism proxy --errors) in front of a
## `data8 serve` sandbox; fails unless the suite passes and Prism reports no violation.
.PHONY: prism
prism: tools
	conformance/prism/run.sh

## bench: the benchmark (internal/bench): the data8 CLI's upload, download and run beside reference clients
## at 20 ms per request (also against a server allowing 4 requests in flight), CPU per million records, peak
## RSS, the latency bound, and the client library's encoding and upload figures; a table, then BENCH/TARGET
## lines. Flags with BENCHFLAGS, e.g. make bench BENCHFLAGS='-sizes 1000000 -runs 5 -parts upload,download';
## make bench BENCHFLAGS=-quick is a smoke check (10k and 100k records, one run).
.PHONY: bench
bench:
	$(GO) run ./internal/bench $(BENCHFLAGS)

## mutation: mutation testing (gremlins, installed into .mutation/bin on first use) of the packages listed in
## internal/mutation/targets, each alone, one worker, at the lowest CPU priority; hours on two cores, so not part
## of make test. Writes $(MUTATION_OUT)/summary.md (figures per package and file, every survivor with its place
## and change). MUTATION_BEFORE=DIR sets an earlier run's figures beside this one's; MUTATION_ONLY='dir ...'
## runs only those packages; MUTATION_BUDGET (default 60m) bounds each package. Re-summarise a run without
## re-running it: go run ./internal/mutation -dir DIR [-before DIR].
MUTATION_OUT ?= .mutation/latest
MUTATION_BEFORE ?=
.PHONY: mutation
mutation:
	status=0; GO=$(GO) internal/mutation/run.sh $(MUTATION_OUT) || status=$$?; \
	$(GO) run ./internal/mutation -dir $(MUTATION_OUT) $(if $(MUTATION_BEFORE),-before $(MUTATION_BEFORE)) && exit $$status
