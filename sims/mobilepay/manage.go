package mobilepay

import (
	"time"

	"github.com/paysandbox/paysandbox/sim/auth"
)

// messageView is Integra's envelope with a "message" payload
// (PosManageViewModel, PosPaymentReadyViewModel, ...).
type messageView struct {
	envelope
	Message  string `json:"message"`
	vm       string
	isSecret bool // message is an accessToken
}

func (v messageView) viewModel() string { return v.vm }

func (v messageView) secret() string {
	if v.isSecret {
		return v.Message
	}
	return ""
}

// tokenMessage answers a token call; the token is kept out of the journal.
func tokenMessage(token string) messageView {
	v := message("PosManageViewModel", token)
	v.isSecret = true
	return v
}

func message(vm, msg string) messageView {
	return messageView{envelope: ok(), Message: msg, vm: vm}
}

// createToken handles GET and POST api/pos/manage/token: a long-lived
// accessToken, created only when the merchant has none.
func (p *Provider) createToken(ps params) (any, error) {
	bio, err := ps.required("bioCode")
	if err != nil {
		return nil, err
	}
	m := p.lockMerchant(bio)
	if m == nil {
		return nil, apiErr(CodeMerchantNotFound, "No merchant information was found for bioCode '%s'.", bio)
	}
	defer m.mu.Unlock()
	if m.AccessToken != "" {
		return nil, apiErr(CodeTokenExists, "The merchant already has an accessToken; reset it with api/pos/manage/token/reset and the previousAccessToken.")
	}
	m.AccessToken = p.newToken()
	return tokenMessage(m.AccessToken), nil
}

// resetToken handles GET api/pos/manage/token/reset: a new accessToken in
// exchange for the previous one, which stops working.
func (p *Provider) resetToken(ps params) (any, error) {
	bio, err := ps.required("bioCode")
	if err != nil {
		return nil, err
	}
	prev, err := ps.required("previousAccessToken")
	if err != nil {
		return nil, err
	}
	m := p.lockMerchant(bio)
	if m == nil {
		return nil, apiErr(CodeUnauthorized, deniedMessage)
	}
	defer m.mu.Unlock()
	if m.AccessToken == "" || !auth.Equal(prev, m.AccessToken) {
		return nil, apiErr(CodeUnauthorized, deniedMessage)
	}
	m.AccessToken = p.newToken()
	return tokenMessage(m.AccessToken), nil
}

// terminalLocked finds the caller's terminal named by the terminalId field.
func (p *Provider) terminalLocked(ps params, m *merchant) (*terminal, error) {
	id, err := ps.required("terminalId")
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	t, found := m.st.terminals[id]
	p.mu.RUnlock()
	if !found || t.merchant != m {
		return nil, apiErr(CodeTerminalNotFound, "No terminal '%s' was found for this merchant.", id)
	}
	return t, nil
}

// posLocked finds the caller's PoS named by the posId field.
func (p *Provider) posLocked(ps params, m *merchant) (*terminal, error) {
	id, err := ps.guid("posId")
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	t, found := m.st.pos[id]
	p.mu.RUnlock()
	if !found || t.merchant != m {
		return nil, apiErr(CodePosNotFound, "No point of sale '%s' was found for this merchant.", id)
	}
	return t, nil
}

// terminalWithPosLocked finds a terminal that has a PoS.
func (p *Provider) terminalWithPosLocked(ps params, m *merchant) (*terminal, error) {
	t, err := p.terminalLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if t.PosID == "" {
		return nil, errNoPos(t)
	}
	return t, nil
}

func errNoPos(t *terminal) error {
	return apiErr(CodeNoPos, "The terminal '%s' has no point of sale; create one with api/pos/manage/create.", t.ID)
}

// createPos handles GET and POST api/pos/manage/create: registers a PoS at
// MobilePay for a terminal that has none. The message is the new posId.
func (p *Provider) createPos(ps params, m *merchant) (any, error) {
	t, err := p.terminalLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if t.PosID != "" {
		return nil, apiErr(CodePosExists, "The terminal '%s' already has a point of sale; delete it first to create a new one.", t.ID)
	}
	id := m.st.ids.UUID()
	p.mu.Lock()
	m.st.attachPos(t, id, "QR-"+t.ID)
	p.mu.Unlock()
	return message("PosManageViewModel", t.PosID), nil
}

// deletePos handles GET and DELETE api/pos/manage/delete: the terminal's
// PoS is removed at MobilePay (refused while it has an active payment).
// The message is the deleted posId.
func (p *Provider) deletePos(ps params, m *merchant) (any, error) {
	t, err := p.terminalWithPosLocked(ps, m)
	if err != nil {
		return nil, err
	}
	if t.active != nil {
		return nil, apiErr(CodePosBusy, "The point of sale has an active payment; capture or cancel it before deleting the point of sale.")
	}
	id := t.PosID
	p.mu.Lock()
	delete(m.st.pos, id)
	t.PosID = ""
	p.mu.Unlock()
	t.BeaconID, t.checkin = "", nil
	return message("PosManageViewModel", id), nil
}

// terminalView is the answer of api/pos/manage/terminal/information.
type terminalView struct {
	envelope
	TerminalID           string   `json:"terminalId"`
	Name                 string   `json:"name"`
	StoreID              string   `json:"storeId"`
	PosID                *string  `json:"posId"`
	BeaconID             *string  `json:"beaconId"`
	SupportedBeaconTypes []string `json:"supportedBeaconTypes"`
}

func (terminalView) viewModel() string { return "PosTerminalInformationViewModel" }

// terminalInfo handles GET api/pos/manage/terminal/information.
func (p *Provider) terminalInfo(ps params, m *merchant) (any, error) {
	t, err := p.terminalLocked(ps, m)
	if err != nil {
		return nil, err
	}
	v := terminalView{envelope: ok(), TerminalID: t.ID, Name: t.Name, StoreID: t.store.ID, SupportedBeaconTypes: []string{}}
	if t.PosID != "" {
		pos, beacon := t.PosID, t.BeaconID
		v.PosID, v.BeaconID, v.SupportedBeaconTypes = &pos, &beacon, []string{"QR"}
	}
	return v, nil
}

type storesView struct {
	envelope
	StoresIDs []string `json:"storesIds"`
}

func (storesView) viewModel() string { return "PosStoresViewModel" }

// stores handles GET api/pos/manage/stores.
func (p *Provider) stores(_ params, m *merchant) (any, error) {
	v := storesView{envelope: ok(), StoresIDs: []string{}}
	for _, s := range m.Stores {
		v.StoresIDs = append(v.StoresIDs, s.ID)
	}
	return v, nil
}

type storeView struct {
	envelope
	StoreID            string   `json:"storeId"`
	Name               string   `json:"name"`
	BrandName          string   `json:"brandName"`
	MerchantBrandID    string   `json:"merchantBrandId"`
	MerchantLocationID string   `json:"merchantLocationId"`
	Street             string   `json:"street"`
	ZipCode            string   `json:"zipCode"`
	City               string   `json:"city"`
	TerminalsIDs       []string `json:"terminalsIds"`
}

func (storeView) viewModel() string { return "PosStoreViewModel" }

// store handles GET api/pos/manage/store.
func (p *Provider) store(ps params, m *merchant) (any, error) {
	id, err := ps.guid("storeId")
	if err != nil {
		return nil, err
	}
	for _, s := range m.Stores {
		if s.ID != id {
			continue
		}
		v := storeView{
			envelope: ok(), StoreID: s.ID, Name: s.Name, BrandName: s.BrandName, MerchantBrandID: s.MerchantBrandID,
			MerchantLocationID: s.MerchantLocationID, Street: s.Street, ZipCode: s.ZipCode, City: s.City, TerminalsIDs: []string{},
		}
		for _, t := range s.Terminals {
			v.TerminalsIDs = append(v.TerminalsIDs, t.ID)
		}
		return v, nil
	}
	return nil, apiErr(CodeStoreNotFound, "No store '%s' was found for this merchant.", id)
}

// checkInView is the answer of the check-in status calls.
type checkInView struct {
	envelope
	PosID           string  `json:"posId"`
	TerminalID      string  `json:"terminalId"`
	IsUserCheckedIn bool    `json:"isUserCheckedIn"`
	CustomerName    *string `json:"customerName"`
	CustomerAge     *int    `json:"customerAge"`
	CheckedInAt     *string `json:"checkedInAt"`
	PollDelayInMs   int     `json:"pollDelayInMs"`
}

func (checkInView) viewModel() string { return "PosCheckInStatusViewModel" }

func checkInStatus(t *terminal) checkInView {
	v := checkInView{envelope: ok(), PosID: t.PosID, TerminalID: t.ID, PollDelayInMs: PollDelayMs}
	if c := t.checkin; c != nil {
		name, age, at := c.Name, c.Age, c.At.UTC().Format(time.RFC3339)
		v.IsUserCheckedIn, v.CustomerName, v.CustomerAge, v.CheckedInAt = true, &name, &age, &at
	}
	return v
}

// checkInByPos handles GET api/pos/manage/checkInStatus/byposId.
func (p *Provider) checkInByPos(ps params, m *merchant) (any, error) {
	t, err := p.posLocked(ps, m)
	if err != nil {
		return nil, err
	}
	return checkInStatus(t), nil
}

// checkInByTerminal handles GET api/pos/manage/checkInStatus/byterminalId.
func (p *Provider) checkInByTerminal(ps params, m *merchant) (any, error) {
	t, err := p.terminalWithPosLocked(ps, m)
	if err != nil {
		return nil, err
	}
	return checkInStatus(t), nil
}

// qrCode handles GET api/pos/terminal/qrcode: the message is a link to a
// PNG of the PoS's QR code, which encodes the check-in (phone) page.
func (p *Provider) qrCode(ps params, m *merchant) (any, error) {
	t, err := p.terminalWithPosLocked(ps, m)
	if err != nil {
		return nil, err
	}
	return message("PosQrCodeViewModel", p.deps.BaseURL()+"/qr/"+t.PosID+".png"), nil
}
