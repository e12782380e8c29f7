package seal_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/paysandbox/paysandbox/sim/ids"
	"github.com/paysandbox/paysandbox/sims/misspay/seal"
)

// pbkdf2SHA256 is an independent PBKDF2 (RFC 8018) written from the RFC,
// so the test does not trust the code under test.
func pbkdf2SHA256(password, salt []byte, iter, keyLen int) []byte {
	var out []byte
	for block := uint32(1); len(out) < keyLen; block++ {
		mac := hmac.New(sha256.New, password)
		mac.Write(salt)
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], block)
		mac.Write(b[:])
		u := mac.Sum(nil)
		t := append([]byte(nil), u...)
		for i := 1; i < iter; i++ {
			mac = hmac.New(sha256.New, password)
			mac.Write(u)
			u = mac.Sum(nil)
			for j := range t {
				t[j] ^= u[j]
			}
		}
		out = append(out, t...)
	}
	return out[:keyLen]
}

func independentOpen(t *testing.T, secret, blob string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		t.Fatal(err)
	}
	salt, nonce, ct := raw[:16], raw[16:28], raw[28:]
	block, err := aes.NewCipher(pbkdf2SHA256([]byte(secret), salt, 40000, 32))
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		t.Fatalf("independent decrypt: %v", err)
	}
	return pt
}

func TestSealOpensIndependently(t *testing.T) {
	g := ids.New(1, "seal")
	s, err := seal.NewSealer("app secret", g.Bytes(16), g)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := s.Seal([]byte(`{"token":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(independentOpen(t, "app secret", blob)); got != `{"token":"x"}` {
		t.Errorf("plaintext = %q", got)
	}
	// Fresh nonce per message.
	blob2, _ := s.Seal([]byte(`{"token":"x"}`))
	if blob == blob2 {
		t.Error("two messages sealed identically: nonce reused")
	}
}

func TestOpen(t *testing.T) {
	g := ids.New(2, "seal")
	s, _ := seal.NewSealer("secret", g.Bytes(16), g)
	blob, _ := s.Seal([]byte("hello"))
	o := seal.NewOpener("secret")
	for range 2 { // second time from the key cache
		got, err := o.Open(blob)
		if err != nil || string(got) != "hello" {
			t.Fatalf("Opener.Open = %q, %v", got, err)
		}
	}
	if _, err := seal.Open("wrong", blob); !errors.Is(err, seal.ErrAuth) {
		t.Errorf("wrong secret: err = %v, want ErrAuth", err)
	}
	for _, bad := range []string{"", "!!!", base64.StdEncoding.EncodeToString(make([]byte, 43))} {
		if _, err := seal.Open("secret", bad); !errors.Is(err, seal.ErrMalformed) {
			t.Errorf("Open(%q): err = %v, want ErrMalformed", bad, err)
		}
	}
}

// A blob made by an independent encryptor (fresh salt, as MIS Pay's own
// plugins do) opens with Open.
func TestOpenIndependentBlob(t *testing.T) {
	salt, nonce := []byte("0123456789abcdef"), []byte("nonce-12byte")
	block, _ := aes.NewCipher(pbkdf2SHA256([]byte("s3cr3t"), salt, 40000, 32))
	gcm, _ := cipher.NewGCM(block)
	raw := append(append(append([]byte{}, salt...), nonce...), gcm.Seal(nil, nonce, []byte(`{"code":"MP00"}`), nil)...)
	got, err := seal.Open("s3cr3t", base64.StdEncoding.EncodeToString(raw))
	if err != nil || string(got) != `{"code":"MP00"}` {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func FuzzOpen(f *testing.F) {
	g := ids.New(3, "seal")
	s, _ := seal.NewSealer("k", g.Bytes(16), g)
	good, _ := s.Seal([]byte("x"))
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	o := seal.NewOpener("k")
	f.Fuzz(func(t *testing.T, blob string) {
		_, _ = o.Open(blob) // must not panic
	})
}

func BenchmarkSeal(b *testing.B) {
	g := ids.New(4, "seal")
	s, _ := seal.NewSealer("secret", g.Bytes(16), g)
	msg := []byte(`{"token":"eyJhbGciOiJIUzI1NiJ9.e30.x","expiration":"2026-01-01T00:00:00Z"}`)
	for b.Loop() {
		if _, err := s.Seal(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	salt := make([]byte, 16)
	for b.Loop() {
		seal.DeriveKey("secret", salt)
	}
}
