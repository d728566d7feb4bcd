// SPDX-License-Identifier: MIT
#pragma once

namespace iot {

/// Frees what libraries keep per thread — OpenSSL's thread-local state, which libpq (SCRAM authentication, TLS) and
/// libmosquitto (TLS) create in our writer and ingest threads. Call it as the last thing such a thread does.
///
/// Why: QThread::wait() returns before a finished thread's thread-specific-data destructors have run, so when the
/// program ends right after stopping the engine, OpenSSL's exit handler on the main thread and the exiting thread's
/// own destructor can both free that state (a double free, found by AddressSanitizer in the scale-out benchmark:
/// "malloc_consolidate(): invalid chunk size" at exit without it). OPENSSL_thread_stop() releases it early and
/// unregisters it. Looked up at run time, so the build needs no OpenSSL headers; a no-op where it is not loaded.
void releaseThreadLocalLibraryState();

} // namespace iot
