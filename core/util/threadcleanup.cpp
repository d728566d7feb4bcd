// SPDX-License-Identifier: MIT
#include "util/threadcleanup.h"

#include <QtGlobal>

#ifdef Q_OS_UNIX
#include <dlfcn.h>
#endif

namespace iot {

void releaseThreadLocalLibraryState()
{
#ifdef Q_OS_UNIX
    using ThreadStop = void (*)();
    // Present once libcrypto is loaded (libpq and libmosquitto link it); resolved per call because a library may be
    // loaded after the first thread ended. A dlsym costs microseconds, and this runs once per thread.
    if (const auto stop = reinterpret_cast<ThreadStop>(dlsym(RTLD_DEFAULT, "OPENSSL_thread_stop")))
        stop();
#endif
}

} // namespace iot
