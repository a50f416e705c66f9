from opsbundle.conformance.nagios_commands import expand, objects


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
