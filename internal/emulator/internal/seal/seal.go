// Package seal holds the key to the emulations' test-only controls. Only
// packages under internal/emulator can import it, so only
// internal/emulator/emulatortest can call the methods that take a Key.
package seal

// Key is the argument of a sealed method.
type Key struct{}
