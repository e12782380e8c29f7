package babpos

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"
)

// receiptWidth is the printer's line width in characters.
const receiptWidth = 40

// copies of a receipt, in the order mada terminals print them: the
// retailer's, then the customer's.
var copies = []struct{ en, ar string }{
	{"** RETAILER COPY **", "** نسخة التاجر **"},
	{"** CUSTOMER COPY **", "** نسخة العميل **"},
}

// notPrinted heads a receipt the printer could not print (paper-out).
const notPrinted = "*** NOT PRINTED: PRINTER OUT OF PAPER ***"

func center(s string) string {
	n := utf8.RuneCountInString(s)
	if n >= receiptWidth {
		return s
	}
	return strings.Repeat(" ", (receiptWidth-n)/2) + s
}

func spread(left, right string) string {
	n := utf8.RuneCountInString(left) + utf8.RuneCountInString(right)
	if n >= receiptWidth {
		return left + " " + right
	}
	return left + strings.Repeat(" ", receiptWidth-n) + right
}

// receiptLine is one line of a receipt: centred or spread left/right.
type receiptLine struct {
	Left, Right string
	Center      string
	Rule        bool
	Strong      bool
}

// receiptLines lays out one copy in the mada order: merchant, date and
// ids, scheme, type, card, amount, result, approval code, verification,
// thanks, copy label, EMV trailer.
func receiptLines(tx *transaction, copyEn, copyAr string) []receiptLine {
	a := tx.Answer
	r := a.Receipt
	c := func(s string) receiptLine { return receiptLine{Center: s} }
	s := func(l, rt string) receiptLine { return receiptLine{Left: l, Right: rt} }
	approval := r.ApprovalCode
	if approval == "" {
		approval = "-"
	}
	lines := []receiptLine{
		c(r.MerchantNameAr), {Center: r.MerchantNameEn, Strong: true}, c(r.AddressAr), c(r.AddressEn),
		{Rule: true},
		s("DATE "+r.StartDate, "TIME "+r.StartTime),
		s(r.AcquirerCode, "MID "+r.MerchantID),
		s("TID "+r.TerminalID, "MCC "+r.MerchantCategoryCode),
		s("STAN "+r.Stan, "APP "+r.AppVersion),
		s("RRN", r.RRN),
		{Rule: true},
		c(r.CardSchemeAr), {Center: strings.ToUpper(r.CardSchemeEn), Strong: true},
		c(r.TransactionTypeAr + " " + r.TransactionTypeEn),
		s(r.PAN, r.CardExpiration),
		s(r.AmountAuthorizedAr, r.AmountAuthorizedEn),
		s("ريال", sar(tx.Amount)),
		{Center: r.StatusMessageAr + " " + strings.ToUpper(r.StatusMessageEn), Strong: true},
	}
	if a.Status != "APPROVED" {
		lines = append(lines, c(a.Message+" ("+r.SwitchResponseCode+")"))
	}
	lines = append(lines,
		c(strings.TrimSpace(r.VerificationMethodAr)), c(r.VerificationMethodEn),
		s(r.ApprovalCodeAr+" / "+r.ApprovalCodeEn, approval),
		s(r.EndDate, r.EndTime),
		c(r.ThanksMessageAr), c(strings.ToUpper(r.ThanksMessageEn)),
		c(r.SaveReceiptMessageAr), c(strings.ToUpper(r.SaveReceiptMessageEn)),
		receiptLine{Center: copyAr}, receiptLine{Center: copyEn, Strong: true},
		receiptLine{Rule: true},
		// The EMV trailer, in the order of mada receipts: entry mode,
		// response code, AID, TVR; CVR, CID, cryptogram, kernel; PAR, PAN
		// suffix, TSI.
		s(r.EntryMode+" "+r.SwitchResponseCode, "AID "+r.ApplicationIdentifier),
		s("TVR "+r.TerminalVerificationResult, "CVR "+r.CardholderVerificationResult),
		s("CID "+r.CryptogramInformationData, "AC "+r.ApplicationCryptogram),
		s("KERNEL-ID", r.KernelID),
		s("PAR", r.PaymentAccountReference),
		s("PAN "+r.PAN[len(r.PAN)-4:], "TSI "+r.TransactionStateInformation),
	)
	return lines
}

// receiptText renders the customer and retailer copies as printer text.
func receiptText(tx *transaction) string {
	var b strings.Builder
	for i, cp := range copies {
		if i > 0 {
			b.WriteString("\n" + strings.Repeat("- ", receiptWidth/2) + "\n\n")
		}
		if !tx.Printed {
			b.WriteString(notPrinted + "\n")
		}
		for _, l := range receiptLines(tx, cp.en, cp.ar) {
			switch {
			case l.Rule:
				b.WriteString(strings.Repeat("-", receiptWidth))
			case l.Center != "":
				b.WriteString(center(l.Center))
			default:
				b.WriteString(spread(l.Left, l.Right))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var receiptPage = template.Must(template.New("receipt").Parse(`<!doctype html>
<html lang="ar" dir="ltr"><head><meta charset="utf-8">
<title>Receipt {{.ID}}</title>
<style>
body{background:#ddd;font-family:"DejaVu Sans Mono",monospace;display:flex;gap:24px;justify-content:center;padding:24px}
.copy{background:#fff;width:340px;padding:16px;box-shadow:0 2px 6px #999;font-size:13px}
.c{text-align:center}.s{display:flex;justify-content:space-between;gap:8px}.b{font-weight:bold}
hr{border:0;border-top:1px dashed #555}.np{color:#b00;font-weight:bold;text-align:center}
[dir=rtl]{unicode-bidi:isolate}
</style></head><body>
{{range .Copies}}<section class="copy" data-copy="{{.Name}}">
{{if not $.Printed}}<p class="np">{{$.NotPrinted}}</p>{{end}}
{{range .Lines}}{{if .Rule}}<hr>{{else if .Center}}<div class="c{{if .Strong}} b{{end}}" dir="auto">{{.Center}}</div>{{else}}<div class="s"><span dir="auto">{{.Left}}</span><span dir="auto">{{.Right}}</span></div>{{end}}
{{end}}</section>
{{end}}</body></html>
`))

// receiptHTML renders both copies as an HTML page.
func receiptHTML(tx *transaction) []byte {
	type cp struct {
		Name  string
		Lines []receiptLine
	}
	data := struct {
		ID         int64
		Printed    bool
		NotPrinted string
		Copies     []cp
	}{ID: tx.Answer.Receipt.ID, Printed: tx.Printed, NotPrinted: notPrinted}
	for _, c := range copies {
		data.Copies = append(data.Copies, cp{Name: strings.ToLower(strings.Fields(c.en)[1]), Lines: receiptLines(tx, c.en, c.ar)})
	}
	var b bytes.Buffer
	if err := receiptPage.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("receipt page: %v", err)) // static template: a bug
	}
	return b.Bytes()
}
