package myfatoorah

import (
	"encoding/json"
	"fmt"

	"github.com/paysandbox/paysandbox/sims/myfatoorah/signature"
)

// Volatile are the response fields of MyFatoorah exchanges (and of its
// control actions) whose values differ between two runs or two targets.
var Volatile = []string{
	"body.Data.InvoiceId", "body.Data.PaymentURL", "body.Data.InvoiceURL", "body.Data.RecurringId",
	"body.Data.SessionId", "body.Data.InvoiceReference", "body.Data.CreatedDate", "body.Data.ExpiryDate",
	"body.Data.ExpiryTime", "body.Data.InvoiceTransactions[*].PaymentId", "body.Data.InvoiceTransactions[*].TransactionDate",
	"body.Data.InvoiceTransactions[*].ReferenceId", "body.Data.InvoiceTransactions[*].TrackId",
	"body.Data.InvoiceTransactions[*].TransactionId", "body.Data.InvoiceTransactions[*].AuthorizationId",
	"body.Data.PaymentId", "body.Data.RefundId", "body.Data.RefundReference", "body.Data.RefundInvoiceId",
	"body.Data.RefundStatusResult[*].RefundId", "body.Data.RefundStatusResult[*].RefundReference",
	"body.Data.RefundStatusResult[*].InvoiceId", "body.Data.Key",
	"body.invoiceId", "body.paymentId", "body.redirectUrl", "body.paymentUrl", "body.refundId", "body.recurringId",
	"body.merchantId", "body.apiKey", "body.baseUrl", "body.webhookSecret", "body.webhookUrl",
	"headers.location", "headers.myfatoorah-signature", "query.paymentId", "query.Id",
}

// Helpers are the scenario expression helpers for MyFatoorah's webhook
// signature (package signature):
//
//	myfatoorahSignature(body, secret)            the MyFatoorah-Signature of a V1 or V2 body
//	myfatoorahVerify(body, secret, signature)    whether signature is right
//
// body is the parsed JSON body or its text; the version follows from the
// body's shape.
func Helpers() map[string]any {
	return map[string]any{
		"myfatoorahSignature": scriptSign,
		"myfatoorahVerify": func(body any, secret, sig string) (bool, error) {
			want, err := scriptSign(body, secret)
			if err != nil {
				return false, err
			}
			return want == sig, nil
		},
	}
}

func scriptSign(body any, secret string) (string, error) {
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			return "", fmt.Errorf("myfatoorahSignature: %v", err)
		}
	}
	version, err := signature.Version(b)
	if err != nil {
		return "", fmt.Errorf("myfatoorahSignature: %v", err)
	}
	return signature.Body(version, secret, b)
}
