# syntax=docker/dockerfile:1

# Build static simulator and contract-runner binaries.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/simulator ./cmd/simulator \
 && CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/contract ./cmd/contract

# Run them from a small static image as a non-root user. The image has no
# shell: `simulator health` is the health check, and `contract` (with the
# scenario library in /scenarios) runs the library against the container:
#   docker run --rm --entrypoint /contract paysandbox run --target http://HOST:8080
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/simulator /simulator
COPY --from=build /out/contract /contract
COPY --from=build /src/scenarios /scenarios
WORKDIR /
USER nonroot:nonroot
ENV SIM_ADDR=0.0.0.0:8080
# --tls (SIM_TLS=true) keeps its CA where the nonroot user can write.
ENV SIM_TLS_DIR=/tmp/tls
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["/simulator", "health"]
ENTRYPOINT ["/simulator"]
