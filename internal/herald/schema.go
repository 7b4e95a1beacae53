package herald

import "fmt"

// SchemaTooNewError is a database migrated by a newer Herald than this
// binary: running on it could corrupt what the newer version wrote.
type SchemaTooNewError struct {
	Database int // the highest migration the database has applied
	Binary   int // the highest migration this binary knows
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("the database's schema is at version %d but this binary knows versions up to %d: "+
		"it was migrated by a newer Herald; run that version (or restore a backup taken before the upgrade)",
		e.Database, e.Binary)
}

// CheckSchema returns a *SchemaTooNewError when the database has applied a
// migration newer than the binary's newest.
func CheckSchema(database, binary int) error {
	if database > binary {
		return &SchemaTooNewError{Database: database, Binary: binary}
	}
	return nil
}
