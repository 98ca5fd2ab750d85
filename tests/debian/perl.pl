# Perl: fork with a pipe, a socketpair, SIGALRM interrupting select, hashes, sort, sprintf,
# regexes, a file in /tmp and readdir.
use strict; use warnings; use Socket; use POSIX qw(:sys_wait_h floor); use IO::Handle;
pipe(my $r, my $w) or die; my $pid = fork();
if (!$pid) { close $r; print $w "from child $$\n" =~ s/\d+/N/r; exit 3 }
close $w; my $line = <$r>; waitpid($pid, 0); print "pipe: $line", "status: ", $? >> 8, "\n";
socketpair(my $sa, my $sb, AF_UNIX, SOCK_STREAM, PF_UNSPEC) or die; $sa->autoflush(1); print $sa "sock\n"; print "socketpair: ", scalar <$sb>;
my $got = 0; local $SIG{ALRM} = sub { $got++ }; alarm 1; select(undef, undef, undef, 2); print "alarm: $got\n";
my %h; $h{$_ % 7}++ for 1..1000; print join(",", map { "$_:$h{$_}" } sort keys %h), "\n";
printf "%.10g %s %d\n", 4 * atan2(1, 1), scalar reverse("abc"), floor(-2.5);
my $s = "The quick brown fox"; my @w = ($s =~ /(\w+)/g); print scalar(@w), " ", join("|", sort { length($a) <=> length($b) or $a cmp $b } @w), "\n";
open(my $fh, '>', "/tmp/perl-mimic-$$") or die; print $fh "x" x 100; close $fh; print "size: ", -s "/tmp/perl-mimic-$$", "\n"; unlink "/tmp/perl-mimic-$$";
opendir(my $d, "tree") or die; print "readdir: ", join(",", sort grep { !/^\./ } readdir $d), "\n";
