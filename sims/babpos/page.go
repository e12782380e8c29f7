package babpos

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/paysandbox/paysandbox/sim"
	"github.com/paysandbox/paysandbox/sim/httpx"
)

//go:embed terminal.html
var terminalHTML string

var terminalPage = template.Must(template.New("terminal").Parse(terminalHTML))

// pageHandler serves GET /terminal/{terminalId}: the terminal's screen,
// which polls its state and drives the terminal like a cardholder.
func (p *Provider) pageHandler(r *http.Request) (httpx.Response, error) {
	id := mux.Vars(r)["terminalId"]
	st, err := p.Terminal(id)
	if err != nil {
		return httpx.Response{}, pageErr(err)
	}
	sim.SetMerchant(r, st.MerchantID)
	var b bytes.Buffer
	err = terminalPage.Execute(&b, map[string]any{"State": st, "Cards": Catalogue(), "EntryModes": EntryModes})
	if err != nil {
		return httpx.Response{}, err
	}
	return httpx.HTML(http.StatusOK, b.Bytes()), nil
}

// pageState serves GET /terminal/{terminalId}/state.
func (p *Provider) pageState(r *http.Request) (httpx.Response, error) {
	st, err := p.Terminal(mux.Vars(r)["terminalId"])
	if err != nil {
		return httpx.Response{}, pageErr(err)
	}
	sim.SetMerchant(r, st.MerchantID)
	return httpx.JSON(http.StatusOK, st), nil
}

// pageTap serves POST /terminal/{terminalId}/tap {"name","entryMode"}.
func (p *Provider) pageTap(r *http.Request) (httpx.Response, error) {
	var c Card
	if err := pageBody(r, &c); err != nil {
		return httpx.Response{}, err
	}
	st, err := p.Tap(mux.Vars(r)["terminalId"], &c)
	if err != nil {
		return httpx.Response{}, pageErr(err)
	}
	sim.SetMerchant(r, st.MerchantID)
	return httpx.JSON(http.StatusOK, st), nil
}

// pagePIN serves POST /terminal/{terminalId}/pin {"pin"}.
func (p *Provider) pagePIN(r *http.Request) (httpx.Response, error) {
	var req PINRequest
	if err := pageBody(r, &req); err != nil {
		return httpx.Response{}, err
	}
	st, err := p.EnterPIN(mux.Vars(r)["terminalId"], req.PIN)
	if err != nil {
		return httpx.Response{}, pageErr(err)
	}
	sim.SetMerchant(r, st.MerchantID)
	return httpx.JSON(http.StatusOK, st), nil
}

func pageBody(r *http.Request, v any) error {
	b, err := httpx.ReadBody(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return apiErr(CodeBadRequest, "the body is not a JSON object of the expected fields")
	}
	return nil
}

// pageErr maps a control error to the provider's envelope.
func pageErr(err error) error {
	var ce *sim.ControlError
	if errors.As(err, &ce) {
		switch ce.Status {
		case http.StatusNotFound:
			return apiErr(CodeNotFound, "%s", ce.Message)
		case http.StatusConflict:
			return apiErr(CodeNotWaiting, "%s", ce.Message)
		case http.StatusBadRequest:
			return apiErr(CodeBadRequest, "%s", ce.Message)
		}
	}
	if isTransition(err) {
		return apiErr(CodeNotWaiting, "%v", err)
	}
	return err
}
