package mobilepay

// Volatile are the response fields of MobilePay exchanges (and of its
// control actions) whose values differ between two runs or two targets:
// ids, tokens, QR links and times; terminal names, brand names and error
// texts carry the merchant's ids. `contract diff` compares them by type.
var Volatile = []string{
	"body.paymentId", "body.refundId", "body.posId", "body.storeId", "body.terminalId", "body.beaconId",
	"body.name", "body.brandName", "body.message", "body.errors[*]",
	"body.paymentsIds[*]", "body.refundsIds[*]", "body.storesIds[*]", "body.terminalsIds[*]",
	"body.createdAt", "body.updatedAt", "body.checkedInAt",
	// Control plane: minted merchants, check-ins, payment actions
	// (errors: body.message) and the clock.
	"body.bioCode", "body.merchantId", "body.accessToken", "body.baseUrl",
	"body.stores[*].storeId", "body.stores[*].terminals[*].terminalId", "body.stores[*].terminals[*].posId",
	"body.payment.paymentId",
	"headers.location",
}
