import json
from io import StringIO
from django.core.management import call_command

def test_x(till):
    out = StringIO()
    call_command("article", "add", "--code", "A", "--name", "Pomme", "--price", "2,50", "--barcode", "3017620422003", "--json", stdout=out)
    print(out.getvalue())
    out = StringIO()
    call_command("article", "--json", "list", stdout=out)
    print(out.getvalue())
    out = StringIO()
    call_command("article", "list", stdout=out)
    print(out.getvalue())
    out = StringIO()
    call_command("customer", "add", "--name", "Bob", "--phone", "0601020304", stdout=out)
    call_command("customer", "list", stdout=out)
    call_command("supplier", "add", "--code", "S1", "--name", "Sup", stdout=out)
    call_command("supplier", "set", "S1", "--archived", stdout=out)
    call_command("supplier", "list", "--archived", "--json", stdout=out)
    print(out.getvalue())
