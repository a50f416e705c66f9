#!/usr/bin/perl
# dpkg-parsechangelog -S Version and dh_listpackages on many debian/ folders,
# in one perl: the same library code those two programs run (Dpkg's changelog
# parser, debhelper's Dh_Lib), loaded once, then for each folder a forked
# child per program, in that folder, with that program's name, so its errors
# read as the program's and one folder's failure cannot touch the next.
#   perl debian_check.pl DIR...
# prints one JSON line per DIR, in order:
#   {"changelog": {"exit": N, "out": "...", "err": "..."}, "listpackages": {...}}
use strict;
use warnings;
use File::Temp qw(tempfile);
use JSON::PP;
use POSIX ();
use Dpkg ();
use Dpkg::Changelog::Parse;
use Debian::Debhelper::Dh_Lib;
# what changelog_parse() would load in every child: loaded once, here
use Dpkg::Changelog::Debian ();
use Dpkg::Index ();
use Time::Piece ();

# the children's stdout and stderr: two files made once, emptied before each child
my ($OUT, $ERR) = (scalar tempfile(), scalar tempfile());

sub captured {
    my ($fh) = @_;
    seek($fh, 0, 0) or die;
    local $/;
    my $text = <$fh>;
    return $text // '';
}

sub in_child {
    my ($dir, $name, $code) = @_;
    for my $fh ($OUT, $ERR) {
        truncate($fh, 0) or die "truncate: $!";
        seek($fh, 0, 0) or die;
    }
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open(STDOUT, '>&', $OUT) or die;
        open(STDERR, '>&', $ERR) or die;
        chdir($dir) or die "chdir $dir: $!";
        $0 = $name;
        $Dpkg::PROGNAME = $name;
        $Debian::Debhelper::Dh_Lib::TOOL_NAME = $name;
        @ARGV = ();
        eval { $code->(); 1 } or do { print STDERR $@; exit 255 };
        close(STDOUT);
        # no global destruction: the END blocks left would only write dh's log
        # (inhibited) and run Dpkg's exit handlers (none registered by a read)
        POSIX::_exit(0);
    }
    waitpid($pid, 0);
    my $status = $? >> 8;
    return { exit => $status, out => captured($OUT), err => captured($ERR) };
}

sub changelog_version {
    # what `dpkg-parsechangelog -S Version` prints
    my $count = 0;
    foreach my $f (changelog_parse()) {
        print "\n" if $count++;
        next if not exists $f->{Version};
        print $f->{Version}, "\n";
    }
}

sub listpackages {
    # what `dh_listpackages` does
    $dh{BLOCK_NOOP_WARNINGS} = 1;
    init(inhibit_log => 1);
    print join("\n", @{$dh{DOPACKAGES}}) . "\n";
}

my $json = JSON::PP->new->canonical;
$| = 0;
foreach my $dir (@ARGV) {
    print $json->encode({
        changelog => in_child($dir, 'dpkg-parsechangelog', \&changelog_version),
        listpackages => in_child($dir, 'dh_listpackages', \&listpackages),
    }), "\n";
}
