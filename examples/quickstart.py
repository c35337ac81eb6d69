from langchain_cometgemini import ChatCometGemini

llm = ChatCometGemini(model="gemini-2.5-flash", temperature=0)

print(llm.invoke("What is the capital of France?").text)

for chunk in llm.stream("Write a haiku about the sea."):
    print(chunk.text, end="", flush=True)
print()
