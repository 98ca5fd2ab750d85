/* The riscv64 layout of every structure mimic declares (hypervisor-lite/src/abi), as the
 * cross headers have it: one line per field "struct.field offset size", and per structure
 * "struct sizeof N" and "struct alignof N". mimic's tests compare every declaration with
 * this program's golden output.
 *
 * The kernel's own definitions (struct stat, sigaction, termios, sigcontext, ucontext…) clash
 * with glibc's of the same names, so they are printed by a second file, layouts_kernel.c,
 * that includes only kernel uapi headers. This one uses glibc's (which are what programs
 * compile against, and which for these structures are the kernel's layouts). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <sys/ucontext.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include "layouts.h"

static void glibc_layouts(void)
{
    S(timespec, struct timespec);
    F(timespec, struct timespec, tv_sec);
    F(timespec, struct timespec, tv_nsec);

    S(itimerspec, struct itimerspec);
    F(itimerspec, struct itimerspec, it_interval);
    F(itimerspec, struct itimerspec, it_value);

    S(timeval, struct timeval);
    F(timeval, struct timeval, tv_sec);
    F(timeval, struct timeval, tv_usec);

    S(itimerval, struct itimerval);
    F(itimerval, struct itimerval, it_interval);
    F(itimerval, struct itimerval, it_value);

    S(timezone, struct timezone);
    F(timezone, struct timezone, tz_minuteswest);
    F(timezone, struct timezone, tz_dsttime);

    S(tms, struct tms);
    F(tms, struct tms, tms_utime);
    F(tms, struct tms, tms_stime);
    F(tms, struct tms, tms_cutime);
    F(tms, struct tms, tms_cstime);

    S(rusage, struct rusage);
    F(rusage, struct rusage, ru_utime);
    F(rusage, struct rusage, ru_stime);
    F(rusage, struct rusage, ru_maxrss);
    F(rusage, struct rusage, ru_ixrss);
    F(rusage, struct rusage, ru_idrss);
    F(rusage, struct rusage, ru_isrss);
    F(rusage, struct rusage, ru_minflt);
    F(rusage, struct rusage, ru_majflt);
    F(rusage, struct rusage, ru_nswap);
    F(rusage, struct rusage, ru_inblock);
    F(rusage, struct rusage, ru_oublock);
    F(rusage, struct rusage, ru_msgsnd);
    F(rusage, struct rusage, ru_msgrcv);
    F(rusage, struct rusage, ru_nsignals);
    F(rusage, struct rusage, ru_nvcsw);
    F(rusage, struct rusage, ru_nivcsw);

    S(rlimit, struct rlimit);
    F(rlimit, struct rlimit, rlim_cur);
    F(rlimit, struct rlimit, rlim_max);

    S(utsname, struct utsname);
    F(utsname, struct utsname, sysname);
    F(utsname, struct utsname, nodename);
    F(utsname, struct utsname, release);
    F(utsname, struct utsname, version);
    F(utsname, struct utsname, machine);
    F(utsname, struct utsname, domainname);

    S(sysinfo, struct sysinfo);
    F(sysinfo, struct sysinfo, uptime);
    F(sysinfo, struct sysinfo, loads);
    F(sysinfo, struct sysinfo, totalram);
    F(sysinfo, struct sysinfo, freeram);
    F(sysinfo, struct sysinfo, sharedram);
    F(sysinfo, struct sysinfo, bufferram);
    F(sysinfo, struct sysinfo, totalswap);
    F(sysinfo, struct sysinfo, freeswap);
    F(sysinfo, struct sysinfo, procs);
    F(sysinfo, struct sysinfo, pad);
    F(sysinfo, struct sysinfo, totalhigh);
    F(sysinfo, struct sysinfo, freehigh);
    F(sysinfo, struct sysinfo, mem_unit);

    S(robust_list, struct robust_list);
    F(robust_list, struct robust_list, next);
    S(robust_list_head, struct robust_list_head);
    F(robust_list_head, struct robust_list_head, list);
    F(robust_list_head, struct robust_list_head, futex_offset);
    F(robust_list_head, struct robust_list_head, list_op_pending);

    S(clone_args, struct clone_args);
    F(clone_args, struct clone_args, flags);
    F(clone_args, struct clone_args, pidfd);
    F(clone_args, struct clone_args, child_tid);
    F(clone_args, struct clone_args, parent_tid);
    F(clone_args, struct clone_args, exit_signal);
    F(clone_args, struct clone_args, stack);
    F(clone_args, struct clone_args, stack_size);
    F(clone_args, struct clone_args, tls);
    F(clone_args, struct clone_args, set_tid);
    F(clone_args, struct clone_args, set_tid_size);
    F(clone_args, struct clone_args, cgroup);

    S(winsize, struct winsize);
    F(winsize, struct winsize, ws_row);
    F(winsize, struct winsize, ws_col);
    F(winsize, struct winsize, ws_xpixel);
    F(winsize, struct winsize, ws_ypixel);

    S(statx_timestamp, struct statx_timestamp);
    F(statx_timestamp, struct statx_timestamp, tv_sec);
    F(statx_timestamp, struct statx_timestamp, tv_nsec);
    S(statx, struct statx);
    F(statx, struct statx, stx_mask);
    F(statx, struct statx, stx_blksize);
    F(statx, struct statx, stx_attributes);
    F(statx, struct statx, stx_nlink);
    F(statx, struct statx, stx_uid);
    F(statx, struct statx, stx_gid);
    F(statx, struct statx, stx_mode);
    F(statx, struct statx, stx_ino);
    F(statx, struct statx, stx_size);
    F(statx, struct statx, stx_blocks);
    F(statx, struct statx, stx_attributes_mask);
    F(statx, struct statx, stx_atime);
    F(statx, struct statx, stx_btime);
    F(statx, struct statx, stx_ctime);
    F(statx, struct statx, stx_mtime);
    F(statx, struct statx, stx_rdev_major);
    F(statx, struct statx, stx_rdev_minor);
    F(statx, struct statx, stx_dev_major);
    F(statx, struct statx, stx_dev_minor);
    F(statx, struct statx, stx_mnt_id);
    F(statx, struct statx, stx_dio_mem_align);
    F(statx, struct statx, stx_dio_offset_align);

    S(flock, struct flock);
    F(flock, struct flock, l_type);
    F(flock, struct flock, l_whence);
    F(flock, struct flock, l_start);
    F(flock, struct flock, l_len);
    F(flock, struct flock, l_pid);

    S(dirent64, struct dirent64);
    F(dirent64, struct dirent64, d_ino);
    F(dirent64, struct dirent64, d_off);
    F(dirent64, struct dirent64, d_reclen);
    F(dirent64, struct dirent64, d_type);
    F(dirent64, struct dirent64, d_name);

    S(iovec, struct iovec);
    F(iovec, struct iovec, iov_base);
    F(iovec, struct iovec, iov_len);

    S(pollfd, struct pollfd);
    F(pollfd, struct pollfd, fd);
    F(pollfd, struct pollfd, events);
    F(pollfd, struct pollfd, revents);

    S(epoll_event, struct epoll_event);
    F(epoll_event, struct epoll_event, events);
    F(epoll_event, struct epoll_event, data);

    S(inotify_event, struct inotify_event);
    F(inotify_event, struct inotify_event, wd);
    F(inotify_event, struct inotify_event, mask);
    F(inotify_event, struct inotify_event, cookie);
    F(inotify_event, struct inotify_event, len);

    S(msghdr, struct msghdr);
    F(msghdr, struct msghdr, msg_name);
    F(msghdr, struct msghdr, msg_namelen);
    F(msghdr, struct msghdr, msg_iov);
    F(msghdr, struct msghdr, msg_iovlen);
    F(msghdr, struct msghdr, msg_control);
    F(msghdr, struct msghdr, msg_controllen);
    F(msghdr, struct msghdr, msg_flags);

    S(cmsghdr, struct cmsghdr);
    F(cmsghdr, struct cmsghdr, cmsg_len);
    F(cmsghdr, struct cmsghdr, cmsg_level);
    F(cmsghdr, struct cmsghdr, cmsg_type);

    S(sockaddr_in, struct sockaddr_in);
    F(sockaddr_in, struct sockaddr_in, sin_family);
    F(sockaddr_in, struct sockaddr_in, sin_port);
    F(sockaddr_in, struct sockaddr_in, sin_addr);
    F(sockaddr_in, struct sockaddr_in, sin_zero);

    S(sockaddr_in6, struct sockaddr_in6);
    F(sockaddr_in6, struct sockaddr_in6, sin6_family);
    F(sockaddr_in6, struct sockaddr_in6, sin6_port);
    F(sockaddr_in6, struct sockaddr_in6, sin6_flowinfo);
    F(sockaddr_in6, struct sockaddr_in6, sin6_addr);
    F(sockaddr_in6, struct sockaddr_in6, sin6_scope_id);

    S(sockaddr_un, struct sockaddr_un);
    F(sockaddr_un, struct sockaddr_un, sun_family);
    F(sockaddr_un, struct sockaddr_un, sun_path);

    S(sockaddr_nl, struct sockaddr_nl);
    F(sockaddr_nl, struct sockaddr_nl, nl_family);
    F(sockaddr_nl, struct sockaddr_nl, nl_pid);
    F(sockaddr_nl, struct sockaddr_nl, nl_groups);

    S(mmsghdr, struct mmsghdr);
    F(mmsghdr, struct mmsghdr, msg_hdr);
    F(mmsghdr, struct mmsghdr, msg_len);

    S(ucred, struct ucred);
    F(ucred, struct ucred, pid);
    F(ucred, struct ucred, uid);
    F(ucred, struct ucred, gid);

    S(linger, struct linger);
    F(linger, struct linger, l_onoff);
    F(linger, struct linger, l_linger);

    S(stack_t, stack_t);
    F(stack_t, stack_t, ss_sp);
    F(stack_t, stack_t, ss_flags);
    F(stack_t, stack_t, ss_size);

    S(siginfo_t, siginfo_t);
    F(siginfo_t, siginfo_t, si_signo);
    F(siginfo_t, siginfo_t, si_errno);
    F(siginfo_t, siginfo_t, si_code);
    F(siginfo_t, siginfo_t, si_pid);
    F(siginfo_t, siginfo_t, si_uid);
    F(siginfo_t, siginfo_t, si_value);
    F(siginfo_t, siginfo_t, si_addr);
    F(siginfo_t, siginfo_t, si_timerid);
    F(siginfo_t, siginfo_t, si_overrun);

    S(sigevent, struct sigevent);
    F(sigevent, struct sigevent, sigev_value);
    F(sigevent, struct sigevent, sigev_signo);
    F(sigevent, struct sigevent, sigev_notify);
    F(sigevent, struct sigevent, _sigev_un._tid);

    S(signalfd_siginfo, struct signalfd_siginfo);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_signo);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_errno);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_code);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_pid);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_uid);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_fd);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_tid);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_band);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_overrun);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_trapno);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_status);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_int);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_ptr);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_utime);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_stime);
    F(signalfd_siginfo, struct signalfd_siginfo, ssi_addr);

    /* What a handler reads: glibc's view of the kernel's ucontext. */
    S(ucontext_t, ucontext_t);
    F(ucontext_t, ucontext_t, uc_stack);
    F(ucontext_t, ucontext_t, uc_sigmask);
    F(ucontext_t, ucontext_t, uc_mcontext);
    F(mcontext_t, mcontext_t, __gregs);
    F(mcontext_t, mcontext_t, __fpregs);

    S(file_handle, struct file_handle);
    F(file_handle, struct file_handle, handle_bytes);
    F(file_handle, struct file_handle, handle_type);
}

int main(void)
{
    glibc_layouts();
    kernel_layouts();
    return 0;
}
