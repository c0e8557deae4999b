#!/usr/bin/python3
"""check-man.py MODE PAGE [PROGRAM] — the man pages are well-formed and complete (issue 12 §1)

  lint PAGE              man --warnings renders PAGE without a warning, and lexgrog
                         finds its NAME line ("name - what it is")
  complete PAGE PROGRAM  every long option in PROGRAM --help is in PAGE; for biosyncctl
                         also every command of its --help (as a command's tag in the
                         page) and every option of each command's --help

The completeness check reads the built program, so a command or option added to a
program without its man page fails here.

SPDX-License-Identifier: GPL-3.0-or-later
"""
import os
import re
import subprocess
import sys

failures = []


def check(cond, what, detail=None):
    print(("ok - " if cond else "not ok - ") + what + ("" if cond or detail is None
                                                      else ": %s" % (detail,)))
    if not cond:
        failures.append(what)


def lint(page):
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    proc = subprocess.run(["man", "--warnings", "-l", "-E", "UTF-8", "-Tutf8", page],
                          capture_output=True, text=True, env=env)
    check(proc.returncode == 0 and proc.stderr == "", "man --warnings: no warning",
          proc.stderr.strip())
    check(len(proc.stdout.splitlines()) > 20, "the page renders", len(proc.stdout))
    name = os.path.basename(page).rsplit(".", 1)[0]
    proc = subprocess.run(["lexgrog", page], capture_output=True, text=True, env=env)
    found = proc.stdout.strip()
    check(proc.returncode == 0 and ('"%s - ' % name) in found,
          "lexgrog finds the NAME line of %s" % name, found or proc.stderr.strip())


def page_text(page):
    """the roff source with roff's escaped hyphens as plain ones"""
    with open(page, encoding="utf-8") as f:
        return f.read().replace("\\-", "-")


def help_text(program, *args):
    env = dict(os.environ, LC_ALL="C")
    proc = subprocess.run([program, *args, "--help"], capture_output=True, text=True, env=env,
                          timeout=60)
    check(proc.returncode == 0, "%s %s --help runs" % (os.path.basename(program), " ".join(args)),
          proc.stderr.strip())
    return proc.stdout


def long_options(text):
    """the long options of the help's option sections (not the help options)"""
    options = set()
    section = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            section = line
            continue
        if section and section.endswith("Options:") and not section.startswith("Help"):
            options.update(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", line.split("  ")[1]
                                      if line.startswith("  ") and len(line.split("  ")) > 1
                                      else line))
    return options


def commands(text):
    """the first word of each line of the "Commands:" section"""
    found = []
    in_commands = False
    for line in text.splitlines():
        if line.startswith("Commands:"):
            in_commands = True
        elif in_commands and line.startswith("  "):
            found.append(line.split()[0])
        elif in_commands and line.strip():
            in_commands = False
    return found


def tag_words(text):
    """every word of the tag lines (the line after .TP): how a page names its commands"""
    words = set()
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.strip() == ".TP":
            words.update(re.findall(r"[a-z][a-z0-9-]*", lines[i + 1].split(" ", 1)[-1]))
    return words


def option_in_page(option, text):
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(option), text) is not None


def complete(page, program):
    text = page_text(page)
    main_help = help_text(program)
    for option in sorted(long_options(main_help) - {"--help"}):
        check(option_in_page(option, text), "%s is in %s" % (option, os.path.basename(page)))
    if os.path.basename(program) != "biosyncctl":
        return
    tags = tag_words(text)
    cmds = commands(main_help)
    check(len(cmds) > 10, "biosyncctl --help lists its commands", cmds)
    for cmd in cmds:
        check(cmd in tags, "command %s is in biosyncctl(1)" % cmd)
        for option in sorted(long_options(help_text(program, cmd)) - {"--help"}):
            check(option_in_page(option, text), "%s %s is in biosyncctl(1)" % (cmd, option))


def main():
    mode, page = sys.argv[1], sys.argv[2]
    if mode == "lint":
        lint(page)
    else:
        complete(page, sys.argv[3])
    print("%d failure(s)" % len(failures) if failures else "all ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
