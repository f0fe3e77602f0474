// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace BucketScope {

// Background work of the desktop app (the ingest, the request table's loader) runs at a lower
// scheduling priority than the GUI thread: on a 2-core laptop its threads otherwise take turns with
// the GUI thread as equals, and the window stalls for a hundred milliseconds at a time; lowered,
// they get every core the GUI is not using, which is almost all of the time.
class ThreadPriority
{
public:
    // How much lower (nice, Linux) background threads run than the GUI thread.
    static constexpr int kBackgroundNiceness = 10;

    // Lowers the calling thread's priority by `steps` nice levels, and so that of the threads it
    // starts afterwards (on Linux a thread's nice value is its own and new threads inherit it).
    // QThread::setPriority cannot do this: Linux ignores it for SCHED_OTHER. Not undone: an
    // unprivileged thread cannot raise its priority again. Does nothing on other systems.
    static void lowerCurrentThread(int steps = kBackgroundNiceness);
};

} // namespace BucketScope
