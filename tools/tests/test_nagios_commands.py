import subprocess

from opsbundle import inventory
from opsbundle.conformance.nagios_commands import directive, expand, objects
from opsbundle.engines import nagios
from servicechecks_repo import REAL_ROOT, context


def test_objects_reads_directives_and_skips_comments():
    text = (
        "define command {\n    command_name  c\n    command_line  $USER1$/check_tcp -p $ARG1$\n}\n"
        "# define service { ignored }\n"
        "define service {\n    ; a comment\n    check_command  c!5672\n"
        "    _CHECK_ID  rabbitmq-up\n}\n"
    )
    assert objects(text) == [
        ("command", {"command_name": "c", "command_line": "$USER1$/check_tcp -p $ARG1$"}),
        ("service", {"check_command": "c!5672", "_CHECK_ID": "rabbitmq-up"}),
    ]


def test_expand_like_nagios():
    line = "$USER1$/x -H $HOSTADDRESS$ -p $ARG1$ -P '$USER10$' $ARG10$; n=$$(echo 1)"
    users = {"USER1": "/plugins", "USER10": "pw"}
    args = [str(i) for i in range(1, 11)]
    assert expand(line, args, users) == "/plugins/x -H 127.0.0.1 -p 1 -P 'pw' 10; n=$(echo 1)"


def test_directive_cuts_at_unescaped_semicolon():
    line = r"  command_line  echo a \; echo b; a comment"
    assert directive(line) == "command_line  echo a ; echo b"


def _nagios_commands(tmp_path, cfgs, resources) -> dict[str, str]:
    """command_name -> command_line as nagios4 itself stored them (`-vp`
    writes the objects it read to the precache file)."""
    main = tmp_path / "nagios.cfg"
    precache = tmp_path / "objects.precache"
    text = nagios._main_cfg(tmp_path, cfgs, resources) + f"precached_object_file={precache}\n"
    main.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [nagios.BINARY, "-vp", str(main)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout
    found, name = {}, None
    for line in precache.read_text(encoding="utf-8").splitlines():
        key, _, value = line.strip().partition("\t")
        if key == "command_name":
            name = value
        elif key == "command_line":
            found[name] = value.strip()
    return found


def test_commands_read_as_nagios4_reads_them(tmp_path):
    """The runner runs what nagios would run: the same command lines, `;`
    and `\\;` included, for every command of the rendered bundle."""
    ctx = context(REAL_ROOT)
    files = inventory.render(ctx, ctx.bundle("monitoring/nagios"), tmp_path / "render")
    cfgs = [p for d, p in files if "/nagios4/conf.d/" in d]
    resources = [p for d, p in files if d.endswith("resource.cfg")]
    ours = {
        attrs["command_name"]: attrs["command_line"]
        for path in cfgs
        for kind, attrs in objects(path.read_text(encoding="utf-8"))
        if kind == "command"
    }
    theirs = _nagios_commands(tmp_path, cfgs, resources)
    assert "opsbundles-rabbitmq-backlog" in ours
    assert {k: theirs.get(k) for k in ours} == ours
