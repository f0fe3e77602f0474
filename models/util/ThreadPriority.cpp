// SPDX-License-Identifier: GPL-3.0-or-later
#include "ThreadPriority.h"

#include <QtGlobal>

#include <algorithm>
#include <cerrno>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace BucketScope {

void ThreadPriority::lowerCurrentThread(int steps)
{
#ifdef Q_OS_LINUX
    const auto thread = id_t(syscall(SYS_gettid));
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, thread);
    if (errno == 0)
        setpriority(PRIO_PROCESS, thread, std::min(nice + steps, 19));
#else
    Q_UNUSED(steps);
#endif
}

} // namespace BucketScope
