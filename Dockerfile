# syntax=docker/dockerfile:1

# Build a static simulator binary.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/simulator ./cmd/simulator

# Run it from a small static image as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/simulator /simulator
USER nonroot:nonroot
ENV SIM_ADDR=0.0.0.0:8080
# --tls (SIM_TLS=true) keeps its CA where the nonroot user can write.
ENV SIM_TLS_DIR=/tmp/tls
EXPOSE 8080
ENTRYPOINT ["/simulator"]
