//! A local Graph security emulator: a real HTTP server on loopback.
