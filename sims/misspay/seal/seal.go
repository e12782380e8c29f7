// Package seal implements MIS Pay's message encryption, used for the
// /token response and the callback "_" parameter:
//
//	blob = base64( salt[16] || nonce[12] || ciphertext || tag[16] )
//	key  = PBKDF2-HMAC-SHA256(appSecret as a UTF-8 string, salt, 40000 iterations, 32 bytes)
//
// with AES-256-GCM and no additional data. Because the salt travels inside
// every message, a sender may keep one salt and derive the key once: a
// Sealer does exactly that and pays the 40000 PBKDF2 iterations only when it
// is created, while every message still gets a fresh nonce. Receivers must
// derive the key from the salt in each message; an Opener caches keys per
// salt so that repeated messages from one Sealer stay cheap to open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Parameters of the scheme.
const (
	SaltSize   = 16
	NonceSize  = 12
	TagSize    = 16
	Iterations = 40000
	KeyLen     = 32
)

// ErrMalformed is returned for a blob that is not valid base64 or is too
// short; ErrAuth for one that does not decrypt with the secret.
var (
	ErrMalformed = errors.New("seal: malformed blob")
	ErrAuth      = errors.New("seal: message authentication failed (wrong secret or tampered blob)")
)

// DeriveKey returns the AES-256 key for secret and salt.
func DeriveKey(secret string, salt []byte) []byte {
	key, err := pbkdf2.Key(sha256.New, secret, salt, Iterations, KeyLen)
	if err != nil {
		// Only FIPS-140 mode rejects these parameters; nothing to recover.
		panic(fmt.Sprintf("seal: pbkdf2: %v", err))
	}
	return key
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // the key is always 32 bytes
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// Sealer encrypts messages for one secret with a fixed salt.
type Sealer struct {
	salt []byte
	aead cipher.AEAD
	mu   sync.Mutex
	rand io.Reader
}

// NewSealer derives the key for secret and salt once. Nonces are read from
// rand.
func NewSealer(secret string, salt []byte, rand io.Reader) (*Sealer, error) {
	if len(salt) != SaltSize {
		return nil, fmt.Errorf("seal: salt must be %d bytes, got %d", SaltSize, len(salt))
	}
	return &Sealer{salt: append([]byte(nil), salt...), aead: newGCM(DeriveKey(secret, salt)), rand: rand}, nil
}

// Seal encrypts plaintext and returns the standard-base64 blob.
func (s *Sealer) Seal(plaintext []byte) (string, error) {
	out := make([]byte, SaltSize+NonceSize, SaltSize+NonceSize+len(plaintext)+TagSize)
	copy(out, s.salt)
	s.mu.Lock()
	_, err := io.ReadFull(s.rand, out[SaltSize:])
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out = s.aead.Seal(out, out[SaltSize:], plaintext, nil)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a blob with secret, deriving the key from the blob's salt.
func Open(secret, blob string) ([]byte, error) {
	raw, err := split(blob)
	if err != nil {
		return nil, err
	}
	return open(newGCM(DeriveKey(secret, raw[:SaltSize])), raw)
}

func split(blob string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(blob)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw) < SaltSize+NonceSize+TagSize {
		return nil, fmt.Errorf("%w: %d bytes is shorter than salt, nonce and tag", ErrMalformed, len(raw))
	}
	return raw, nil
}

func open(aead cipher.AEAD, raw []byte) ([]byte, error) {
	nonce := raw[SaltSize : SaltSize+NonceSize]
	pt, err := aead.Open(nil, nonce, raw[SaltSize+NonceSize:], nil)
	if err != nil {
		return nil, ErrAuth
	}
	return pt, nil
}

// Opener decrypts messages for one secret, caching the key per salt.
type Opener struct {
	secret string
	mu     sync.Mutex
	keys   map[string]cipher.AEAD
}

// NewOpener returns an Opener for secret.
func NewOpener(secret string) *Opener {
	return &Opener{secret: secret, keys: map[string]cipher.AEAD{}}
}

// Open decrypts blob.
func (o *Opener) Open(blob string) ([]byte, error) {
	raw, err := split(blob)
	if err != nil {
		return nil, err
	}
	salt := string(raw[:SaltSize])
	o.mu.Lock()
	aead, ok := o.keys[salt]
	o.mu.Unlock()
	if !ok {
		aead = newGCM(DeriveKey(o.secret, raw[:SaltSize]))
		o.mu.Lock()
		if len(o.keys) > 1024 { // bound memory against many senders
			clear(o.keys)
		}
		o.keys[salt] = aead
		o.mu.Unlock()
	}
	return open(aead, raw)
}
