# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks shared by the shell tests of modules and plugins; sourced.

# run_ok OUTPUT COMMAND [ARG…]: runs COMMAND with its standard output and
# error in OUTPUT, shows them, and fails the test if it does not exit 0
# (a host killed by a module shows here).
run_ok () {
    _out=$1
    shift
    _status=0
    "$@" > "$_out" 2>&1 || _status=$?
    cat "$_out"
    if [ "$_status" -ne 0 ]; then
        echo "FAIL: $* exited with $_status" >&2
        exit 1
    fi
}

# expect FILE PATTERN MESSAGE: fails the test with MESSAGE unless a line
# of FILE matches the grep PATTERN.
expect () {
    grep -q -- "$2" "$1" || {
        echo "FAIL: $3" >&2
        exit 1
    }
}
