# shellcheck shell=sh disable=SC2016 # commands are expanded by eval, at run time
# startup: the cost of starting the program at all.
alternate startup 50 '"$EHR" --version' '"$CAST" --version'
row "startup: ehr --version | cast --version" startup
