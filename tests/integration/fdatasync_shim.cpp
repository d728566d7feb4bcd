// SPDX-License-Identifier: MIT
// An LD_PRELOAD shim for tst_hostfaults: fdatasync fails with EIO while the file named by IOT_FDATASYNC_FAIL_FILE
// exists, and is the real call otherwise. A disk that reports a failed write-back, on cue.
#include <cerrno>
#include <cstdlib>
#include <dlfcn.h>
#include <unistd.h>

extern "C" __attribute__((visibility("default"))) int fdatasync(int fd) noexcept
{
    static const char *const failFile = std::getenv("IOT_FDATASYNC_FAIL_FILE");
    if (failFile && ::access(failFile, F_OK) == 0) {
        errno = EIO;
        return -1;
    }
    using Fn = int (*)(int);
    static const Fn real = reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, "fdatasync"));
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    return real(fd);
}
