package oas

// FindOperationSlow is FindOperation through kin-openapi's router alone.
func (d *Doc) FindOperationSlow(method, relPath string) (Operation, error) {
	route, _, err := d.find(method, relPath)
	if err != nil {
		return Operation{}, err
	}
	return Operation{Method: route.Method, Path: route.Path, OperationID: route.Operation.OperationID}, nil
}
