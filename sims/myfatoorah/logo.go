package myfatoorah

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

// logo handles GET /imgs/payment-methods/{code}.png, the ImageUrl of
// InitiatePayment's gateways: a plain badge, so a checkout page that shows
// the gateways renders offline.
func (p *Provider) logo(r *http.Request) (httpx.Response, error) {
	code := strings.TrimSuffix(mux.Vars(r)["file"], ".png")
	known := false
	for _, pm := range methods {
		known = known || pm.Code == code
	}
	if !known {
		return htmlError(http.StatusNotFound, "No such image."), nil
	}
	h := fnv.New32a()
	h.Write([]byte(code))
	sum := h.Sum32()
	c := color.RGBA{R: uint8(sum), G: uint8(sum >> 8), B: uint8(sum >> 16), A: 255}
	img := image.NewRGBA(image.Rect(0, 0, 64, 40))
	for y := 0; y < 40; y++ {
		for x := 0; x < 64; x++ {
			if y < 4 || y >= 36 || x < 4 || x >= 60 {
				img.Set(x, y, color.White)
			} else {
				img.Set(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return httpx.Response{}, err
	}
	return httpx.Response{Status: http.StatusOK, Raw: b.Bytes(), ContentType: "image/png"}, nil
}
