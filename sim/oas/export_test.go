package oas

// FindOperationSlow is FindOperation through kin-openapi's router alone.
func (d *Doc) FindOperationSlow(method, relPath string) (Operation, error) {
	return d.findSlow(method, relPath)
}

// Parsed reports whether d has parsed its document.
func (d *Doc) Parsed() bool { return d.spec != nil || d.specErr != nil }
