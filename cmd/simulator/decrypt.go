package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/paysandbox/paysandbox/sims/misspay/seal"
)

// runDecrypt handles "simulator decrypt --secret S [BLOB]": it opens a MIS
// Pay blob (the result.token of GET /token, or the "_" value of a callback,
// which is base64 of a blob) and prints the plaintext.
func runDecrypt(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("simulator decrypt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", "", "the app secret (x-app-secret) the blob was encrypted with")
	field := fs.String("field", "", "print only this top-level field of the JSON plaintext, e.g. token")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: simulator decrypt --secret SECRET [--field token] [BLOB|-]\n\nDecrypts a MIS Pay token blob, a whole GET /token response, or a callback \"_\" value;\nreads stdin when BLOB is - or absent.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		return errors.New("decrypt: --secret is required")
	}
	var blob string
	switch fs.NArg() {
	case 0:
		blob = "-"
	case 1:
		blob = fs.Arg(0)
	default:
		return errors.New("decrypt: give one blob")
	}
	if blob == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
		if err != nil {
			return err
		}
		blob = string(b)
	}
	blob = strings.TrimSpace(blob)
	if strings.HasPrefix(blob, "{") {
		// A whole GET /token response: take result.token.
		var resp struct {
			Result struct {
				Token string `json:"token"`
			} `json:"result"`
		}
		if err := json.Unmarshal([]byte(blob), &resp); err != nil || resp.Result.Token == "" {
			return errors.New("decrypt: input is JSON but has no result.token")
		}
		blob = resp.Result.Token
	}
	pt, err := openAny(*secret, blob)
	if err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	if *field != "" {
		v, err := jsonField(pt, *field)
		if err != nil {
			return fmt.Errorf("decrypt: %w", err)
		}
		fmt.Fprintln(stdout, v)
		return nil
	}
	fmt.Fprintln(stdout, string(pt))
	return nil
}

// openAny opens a blob, or the base64 of a blob as the callback "_"
// parameter carries it.
func openAny(secret, blob string) ([]byte, error) {
	pt, err := seal.Open(secret, blob)
	if err == nil {
		return pt, nil
	}
	if inner, derr := base64.StdEncoding.DecodeString(blob); derr == nil {
		if pt, err2 := seal.Open(secret, string(inner)); err2 == nil {
			return pt, nil
		}
	}
	return nil, err
}
